/**
 * Keras files, the container layer (src/io/keras): `.keras` zips and legacy `.h5` files written by
 * Keras 3.15.1 (test/fixtures/keras-files.py) read with every weight bit for bit as Keras holds it;
 * lstm-ts' writer read back identically, and its files (committed, lstm-ts-*.keras) loaded by Keras,
 * which predicts what it predicted from its own file and trains on with the saved compile settings;
 * malformed files (truncated, flipped bytes, huge declared sizes) refused with an Error naming the
 * file, before any large allocation.
 *
 * The tests read only the committed files and keras-files.json (no Python here).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  kerasFloat, listZip, parseKerasJson, readHdf5, readKerasBytes, readKerasH5, readKerasZip, readZipEntry,
  toKerasJson, writeHdf5, writeKerasFile, writeZip, type H5Data, type H5Group, type KerasWeight,
} from '../src/io/keras/index.js';
import { FIXTURE_MODELS, lstmTsBytes } from './fixtures/keras-files-write.js';

const DIR = new URL('./fixtures/keras-files/', import.meta.url);
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, DIR)));

interface JsonWeight { shape: number[]; dtype: string; values: number[] }
interface Fixture {
  keras_version: string;
  models: Record<string, {
    input: number[]; predictions: number[]; predictionShape: number[];
    weights: Record<string, JsonWeight>; legacyWeights: Record<string, JsonWeight>;
    variables: Array<{ path: string; shape: number[] }>;
  }>;
  keras2Style: { file: string; model: string; layerNames: string[]; weights: Record<string, JsonWeight> };
  readBack: Record<string, { predictions: number[]; predictionShape: number[]; optimizer: string; loss: string; fitLoss: number }>;
}
const fixture = JSON.parse(readFileSync(new URL('keras-files.json', DIR), 'utf8')) as Fixture;

/** The weight equals Keras' values bit for bit (float32 values are exact in JSON's doubles). */
function expectSameAsKeras(w: KerasWeight | undefined, expected: JsonWeight, path: string): void {
  expect(w, path).toBeDefined();
  expect(w!.shape, path).toEqual(expected.shape);
  expect(w!.dtype, path).toBe(expected.dtype);
  const got = Array.from(w!.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  expect(got.length, path).toBe(expected.values.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], expected.values[i])) throw new Error(`${path}[${i}]: got ${got[i]}, Keras has ${expected.values[i]}`);
  }
}

function sameBits(a: H5Data, b: H5Data): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

describe('Keras 3 .keras files, as Keras 3.15.1 wrote them', () => {
  it('the fixtures come from Keras 3.15.1', () => {
    expect(fixture.keras_version).toBe('3.15.1');
    expect(Object.keys(fixture.models)).toEqual([...FIXTURE_MODELS]);
  });

  for (const name of FIXTURE_MODELS) {
    it(`${name}.keras: every weight bit for bit, config and compile config`, () => {
      const d = readKerasZip(file(`${name}.keras`), `${name}.keras`);
      const expected = fixture.models[name];
      expect(d.format).toBe('keras');
      expect(d.kerasVersion).toBe('3.15.1');
      expect(d.config.class_name).toBe('Sequential');
      expect((d.config.config as { name: string }).name).toBe(name);
      expect(d.compileConfig).toBe(d.config.compile_config);
      expect(Object.keys(d.compileConfig!)).toContain('optimizer');
      expect([...d.weights.keys()].sort()).toEqual(Object.keys(expected.weights).sort());
      for (const [path, w] of Object.entries(expected.weights)) expectSameAsKeras(d.weights.get(path), w, path);
      // Keras' variables in its order: the layer vars come first in model.weights order.
      expect(expected.variables.length).toBeGreaterThan(0);
    });

    it(`${name}.h5 (legacy): layers and weights in Keras' order, bit for bit`, () => {
      const d = readKerasH5(file(`${name}.h5`), `${name}.h5`);
      const expected = fixture.models[name];
      expect(d.format).toBe('h5');
      expect(d.kerasVersion).toBe('3.15.1');
      expect(d.backend).toBe('tensorflow');
      expect(d.config.class_name).toBe('Sequential');
      expect(d.compileConfig).toHaveProperty('loss');
      const listed = d.legacyLayers!.flatMap((l) => l.weightPaths);
      expect(listed).toEqual(Object.keys(expected.legacyWeights).map((k) => `model_weights/${k}`));
      for (const [key, w] of Object.entries(expected.legacyWeights)) expectSameAsKeras(d.weights.get(`model_weights/${key}`), w, key);
      // The same variables as the .keras file, by Keras' variable order.
      const native = readKerasZip(file(`${name}.keras`));
      const layerVars = [...native.weights.keys()].filter((k) => k.startsWith('layers/'));
      expect(listed.length).toBe(layerVars.length);
    });
  }

  it("a legacy .h5 in tf.keras 2.x's layout: byte-string attributes, chunked layer_names, ':0' weight names", () => {
    const k2 = fixture.keras2Style;
    const d = readKerasBytes(file(k2.file), k2.file);
    expect(d.format).toBe('h5');
    expect(d.kerasVersion).toBe('2.15.0');
    expect(d.backend).toBe('tensorflow');
    const layers = (d.config.config as { layers: Array<{ class_name: string; config: Record<string, unknown> }> }).layers;
    expect(layers.map((l) => l.class_name)).toEqual(['InputLayer', 'LSTM', 'Dense']);
    expect(layers[0].config.batch_input_shape).toEqual([null, 3, 2]);
    expect((d.compileConfig!.optimizer_config as { class_name: string }).class_name).toBe('Adam');
    expect(d.legacyLayers!.map((l) => l.name)).toEqual(k2.layerNames);
    expect(d.legacyLayers!.flatMap((l) => l.weightPaths).sort()).toEqual(Object.keys(k2.weights).sort());
    expect(d.legacyLayers![0].weightPaths).toEqual(['kernel', 'recurrent_kernel', 'bias'].map((w) => `model_weights/lstm/lstm/lstm_cell/${w}:0`));
    for (const [path, w] of Object.entries(k2.weights)) expectSameAsKeras(d.weights.get(path), w, path);
    // The same values as the Keras 3 file of the model.
    const native = readKerasZip(file(`${k2.model}.keras`));
    expect(sameBits(d.weights.get('model_weights/dense/dense/kernel:0')!.data, native.weights.get('layers/dense/vars/0')!.data)).toBe(true);
  });

  it('readKerasBytes tells the two formats apart by their first bytes', () => {
    expect(readKerasBytes(file('stateful.keras')).format).toBe('keras');
    expect(readKerasBytes(file('stateful.h5')).format).toBe('h5');
    expect(() => readKerasBytes(new TextEncoder().encode('{"class_name": "Sequential"}'), 'model.json')).toThrow(/model\.json: neither a \.keras file .* nor a legacy Keras \.h5/);
  });

  it('a Keras 3 model.weights.h5 given as a legacy .h5 is refused with a hint', () => {
    const inner = readZipEntry(file('lstm_dense.keras'), listZip(file('lstm_dense.keras')).get('model.weights.h5')!);
    expect(() => readKerasH5(inner, 'model.weights.h5')).toThrow(/model\.weights\.h5: no 'model_config' attribute.*looks like a Keras 3 'model\.weights\.h5'/);
  });
});

describe('writing .keras files', () => {
  for (const name of FIXTURE_MODELS) {
    it(`${name}: the writer's file, read back, is what was read from Keras' file`, () => {
      const original = readKerasZip(file(`${name}.keras`));
      const written = writeKerasFile({ config: original.config, compileConfig: original.compileConfig, weights: original.weights });
      const back = readKerasZip(written, 'written.keras');
      expect(back.kerasVersion).toBe('3.15.1');
      expect(back.config).toEqual(original.config);
      expect(back.compileConfig).toEqual(original.compileConfig);
      expect([...back.weights.keys()]).toEqual([...original.weights.keys()]);
      for (const [path, w] of original.weights) {
        const b = back.weights.get(path)!;
        expect(b.shape, path).toEqual(w.shape);
        expect(b.dtype, path).toBe(w.dtype);
        expect(sameBits(b.data, w.data), path).toBe(true);
      }
    });

    it(`${name}: Keras 3.15 loaded lstm-ts' file (committed) and predicts as from its own, and trains on`, () => {
      // The committed file is what the writer writes today, byte for byte.
      const committed = file(`lstm-ts-${name}.keras`);
      const now = lstmTsBytes(file(`${name}.keras`), name);
      expect(sameBits(now, committed)).toBe(true);
      const readBack = fixture.readBack[name];
      expect(readBack, `keras-files.py --read-back has run on lstm-ts-${name}.keras`).toBeDefined();
      expect(readBack.predictionShape).toEqual(fixture.models[name].predictionShape);
      expect(readBack.predictions).toEqual(fixture.models[name].predictions);
      const compile = readKerasZip(committed).compileConfig!;
      expect(readBack.optimizer).toBe((compile.optimizer as { class_name: string }).class_name);
      expect(readBack.loss).toBe(compile.loss);
      expect(Number.isFinite(readBack.fitLoss)).toBe(true);
    });
  }

  it('floats stay floats for Keras: kerasFloat(0) is written 0.0, parseKerasJson marks 0.0 and 1e-07', () => {
    expect(toKerasJson({ momentum: kerasFloat(0), units: 4, lr: kerasFloat(0.01), big: kerasFloat(1e21), s: '1.0' }))
      .toBe('{"momentum": 0.0, "units": 4, "lr": 0.01, "big": 1e+21, "s": "1.0"}');
    const parsed = parseKerasJson('{"a": 0.0, "b": 3, "c": [1e-07, -2.5E3], "d": "0.0 \\" 1.5"}');
    expect(toKerasJson(parsed)).toBe('{"a": 0.0, "b": 3, "c": [1e-7, -2500.0], "d": "0.0 \\" 1.5"}');
    expect(() => toKerasJson({ x: Number.NaN })).toThrow(/config\.x is NaN/);
  });

  it('refuses weights it cannot write, naming them', () => {
    const config = { class_name: 'Sequential' };
    expect(() => writeKerasFile({ config, weights: new Map([['layers/dense/vars/0', { shape: [2, 2], data: new Float32Array(3) }]]) }))
      .toThrow(/'layers\/dense\/vars\/0': shape \[2,2\] holds 4 values, its data has 3/);
    expect(() => writeKerasFile({ config, weights: new Map([['layers/dense/vars/0', { shape: [2], data: [1, 2] as unknown as Float32Array }]]) }))
      .toThrow(/weight 'layers\/dense\/vars\/0' must hold a typed array/);
    expect(() => writeKerasFile({ config, weights: new Map([['a', { shape: [1], data: new Float32Array(1) }], ['a/b', { shape: [1], data: new Float32Array(1) }]]) }))
      .toThrow(/'a' is a dataset and also a group/);
    expect(() => writeKerasFile({ config: null as unknown as Record<string, unknown>, weights: new Map() })).toThrow(/config must be an object/);
  });

  it('HDF5: any tree of numeric datasets written is read back bit for bit (fast-check)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    const dataset = fc.oneof(
      fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 12 }).map((v) => new Float32Array(v)),
      fc.array(fc.double(), { maxLength: 12 }).map((v) => new Float64Array(v)),
      fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 12 }).map((v) => new Int32Array(v)),
      fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 4 }).map((v) => new BigInt64Array(v)),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }).map((v) => new Uint8Array(v)),
    );
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.array(name, { minLength: 1, maxLength: 4 }), dataset), { selector: ([p]) => p[0], maxLength: 40 }), (items) => {
      // Distinct first parts keep the paths free of dataset/group clashes.
      const entries = items.map(([parts, data]) => [parts.join('/'), { shape: [data.length], data }] as [string, { shape: number[]; data: H5Data }]);
      const root = readHdf5(writeHdf5(entries));
      for (const [path, { data }] of entries) {
        let node: H5Group | undefined = root;
        const parts = path.split('/');
        for (const p of parts.slice(0, -1)) node = node?.children.get(p) as H5Group | undefined;
        const d = node?.children.get(parts[parts.length - 1]);
        expect(d?.kind, path).toBe('dataset');
        if (d?.kind === 'dataset') {
          expect(d.shape).toEqual([data.length]);
          expect(sameBits(d.data, data), path).toBe(true);
        }
      }
    }), { numRuns: 150 });
  });

  it('a group of many children (one symbol-table node of 2K entries) and empty or scalar datasets', () => {
    const entries: Array<[string, { shape: number[]; data: H5Data }]> = [];
    for (let i = 0; i < 300; i++) entries.push([`optimizer/vars/${i}`, { shape: [1], data: new Float32Array([i]) }]);
    entries.push(['empty', { shape: [0, 3], data: new Float32Array(0) }], ['scalar', { shape: [], data: new BigInt64Array([7n]) }]);
    const root = readHdf5(writeHdf5(entries));
    const vars = (root.children.get('optimizer') as H5Group).children.get('vars') as H5Group;
    expect(vars.children.size).toBe(300);
    expect(Array.from((vars.children.get('299') as { data: Float32Array }).data)).toEqual([299]);
    expect(root.children.get('empty')).toMatchObject({ shape: [0, 3], dtype: 'float32' });
    expect(root.children.get('scalar')).toMatchObject({ shape: [], dtype: 'int64', data: new BigInt64Array([7n]) });
  });
});

/** Calls read and expects either a result or an Error whose message starts with the file's name. */
function refusedOrRead(read: () => unknown, fileName: string): void {
  try {
    read();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    if (!(e as Error).message.startsWith(`${fileName}:`)) throw new Error(`unexpected error: ${(e as Error).stack}`);
  }
}

function refused(read: () => unknown, fileName: string, pattern?: RegExp): string {
  let message = '';
  try {
    read();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    message = (e as Error).message;
  }
  if (!message) throw new Error(`${fileName}: expected a refusal, the file was read`);
  expect(message.startsWith(`${fileName}:`), message).toBe(true);
  if (pattern) expect(message).toMatch(pattern);
  return message;
}

function indexOf(bytes: Uint8Array, pattern: number[], from = 0): number {
  outer: for (let i = from; i + pattern.length <= bytes.length; i++) {
    for (let k = 0; k < pattern.length; k++) if (bytes[i + k] !== pattern[k]) continue outer;
    return i;
  }
  return -1;
}

describe('malformed files are refused with a clear Error, before any large allocation', () => {
  const keras = file('masking_stacked.keras');
  const legacy = file('masking_stacked.h5');
  const weights = readZipEntry(keras, listZip(keras).get('model.weights.h5')!);
  // The same archive, deflated (as a user's zip tool would write it).
  const entries = listZip(keras);
  const deflated = zipSync(Object.fromEntries([...entries.keys()].map((n) => [n, readZipEntry(keras, entries.get(n)!)])), { level: 6 });

  it('the deflated archive reads as the stored one', () => {
    expect([...listZip(deflated).values()].map((e) => e.method)).toEqual([8, 8, 8]);
    const a = readKerasZip(deflated);
    const b = readKerasZip(keras);
    expect(a.config).toEqual(b.config);
    for (const [k, w] of b.weights) expect(sameBits(a.weights.get(k)!.data, w.data), k).toBe(true);
  });

  it('every truncation is refused (fast-check)', () => {
    for (const [bytes, name] of [[keras, 'm.keras'], [deflated, 'd.keras'], [legacy, 'm.h5'], [weights, 'w.h5']] as const) {
      fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (n) => {
        refused(() => (name === 'w.h5' ? readHdf5(bytes.slice(0, n), name) : readKerasBytes(bytes.slice(0, n), name)), name);
      }), { numRuns: 200 });
    }
  });

  it('flipped bytes are read or refused with an Error naming the file, never a crash or a hang (fast-check)', () => {
    for (const [bytes, name] of [[keras, 'm.keras'], [deflated, 'd.keras'], [legacy, 'm.h5'], [weights, 'w.h5']] as const) {
      fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const copy = bytes.slice();
        for (const [at, x] of flips) copy[at] ^= x;
        refusedOrRead(() => (name === 'w.h5' ? readHdf5(copy, name) : readKerasBytes(copy, name)), name);
      }), { numRuns: 400 });
    }
  });

  it('flips in the HDF5 structures near the start (superblock, headers, B-trees) (fast-check)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2048 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const copy = weights.slice();
      copy[at] ^= x;
      refusedOrRead(() => readHdf5(copy, 'w.h5'), 'w.h5');
    }), { numRuns: 500 });
  });

  it('a dataset declaring a huge shape is refused before allocating', () => {
    const small = writeHdf5([['layers/dense/vars/0', { shape: [2], data: new Float32Array([1, 2]) }]]);
    const at = indexOf(small, [1, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]); // dataspace v1, rank 1, dims [2]
    expect(at).toBeGreaterThan(0);
    const huge = small.slice();
    new DataView(huge.buffer).setUint32(at + 8 + 4, 0x100, true); // 2^40 + 2 values
    refused(() => readHdf5(huge, 'w.h5'), 'w.h5', /'layers\/dense\/vars\/0': declared shape \[1099511627778\] holds more values than the file's \d+ bytes can store/);
    const larger = small.slice();
    new DataView(larger.buffer).setUint32(at + 8, 1000, true); // 1000 floats, 4000 bytes: more than stored
    refused(() => readHdf5(larger, 'w.h5'), 'w.h5', /needs 4000 bytes, its storage holds 8/);
  });

  it('datasets pointing at the same bytes are refused once they reference more than the file holds', () => {
    const n = 300_000;
    const entries: Array<[string, { shape: number[]; data: H5Data }]> = [['big', { shape: [n], data: new Float32Array(n).fill(0.5) }]];
    for (let i = 0; i < 10; i++) entries.push([`small${i}`, { shape: [1], data: new Float32Array([i]) }]);
    const bytes = writeHdf5(entries);
    const view = new DataView(bytes.buffer);
    // Each dataset's dataspace (message type 1, 16 bytes, rank 1) and data layout (type 8, 24 bytes, v3 contiguous).
    const spaces: number[] = [];
    const layouts: number[] = [];
    for (let at = indexOf(bytes, [1, 0, 16, 0]); at >= 0; at = indexOf(bytes, [1, 0, 16, 0], at + 1)) if (bytes[at + 8] === 1 && bytes[at + 9] === 1) spaces.push(at + 8);
    for (let at = indexOf(bytes, [8, 0, 24, 0]); at >= 0; at = indexOf(bytes, [8, 0, 24, 0], at + 1)) if (bytes[at + 8] === 3 && bytes[at + 9] === 1) layouts.push(at + 8);
    expect(spaces.length).toBe(11);
    expect(layouts.length).toBe(11);
    const big = layouts.find((at) => view.getUint32(at + 10, true) === 4 * n)!;
    for (let i = 0; i < 11; i++) {
      view.setUint32(spaces[i] + 8, n, true);
      view.setUint32(layouts[i] + 2, view.getUint32(big + 2, true), true);
      view.setUint32(layouts[i] + 10, 4 * n, true);
    }
    refused(() => readHdf5(bytes, 'w.h5'), 'w.h5', /reference more bytes than it holds .*: they overlap, so the file is corrupt or crafted/);
  });

  it('zip entries declaring huge or inconsistent sizes are refused before allocating', () => {
    const cd = (bytes: Uint8Array): number => indexOf(bytes, [0x50, 0x4b, 0x01, 0x02]);
    const stored = keras.slice();
    new DataView(stored.buffer).setUint32(cd(stored) + 24, 0xfffffff0, true);
    refused(() => readKerasZip(stored, 'm.keras'), 'm.keras', /entry 'metadata\.json' is stored but declares 4294967280 bytes uncompressed/);
    const bomb = deflated.slice();
    new DataView(bomb.buffer).setUint32(cd(bomb) + 24, 0xfffffff0, true);
    refused(() => readKerasZip(bomb, 'd.keras'), 'd.keras', /declares 4294967280 bytes uncompressed from \d+ compressed, more than DEFLATE can produce/);
    const lying = deflated.slice();
    const declared = new DataView(lying.buffer).getUint32(cd(lying) + 24, true);
    new DataView(lying.buffer).setUint32(cd(lying) + 24, declared + 100, true);
    refused(() => readKerasZip(lying, 'd.keras'), 'd.keras', /entry 'metadata\.json' inflates to \d+ bytes, its header declares \d+/);
    const far = keras.slice();
    const eocd = indexOf(far, [0x50, 0x4b, 0x05, 0x06]);
    new DataView(far.buffer).setUint32(eocd + 16, 0x7fffffff, true);
    refused(() => readKerasZip(far, 'm.keras'), 'm.keras', /central directory .* lies beyond the archive's/);
  });

  it('a corrupted entry fails its CRC; a missing entry and bad JSON are named', () => {
    const copy = keras.slice();
    const at = indexOf(copy, Array.from(new TextEncoder().encode('"keras_version"')));
    copy[at + 3] ^= 1;
    refused(() => readKerasZip(copy, 'm.keras'), 'm.keras', /entry 'metadata\.json' fails its CRC-32 check/);
    const noConfig = writeZip([['metadata.json', new TextEncoder().encode('{"keras_version": "3.15.1"}')]]);
    refused(() => readKerasZip(noConfig, 'm.keras'), 'm.keras', /the archive has no 'config\.json' \(entries: 'metadata\.json'\)/);
    const badJson = writeZip([['metadata.json', new TextEncoder().encode('{}')], ['config.json', new TextEncoder().encode('[1')]]);
    refused(() => readKerasZip(badJson, 'm.keras'), 'm.keras', /'config\.json' is not valid JSON/);
    const noWeights = writeZip([['metadata.json', new TextEncoder().encode('{}')], ['config.json', new TextEncoder().encode('{}')]]);
    refused(() => readKerasZip(noWeights, 'm.keras'), 'm.keras', /the archive has no 'model\.weights\.h5' \(entries: 'metadata\.json', 'config\.json'\)/);
    const npz = writeZip([['metadata.json', new TextEncoder().encode('{}')], ['config.json', new TextEncoder().encode('{}')], ['model.weights.npz', new Uint8Array(4)]]);
    refused(() => readKerasZip(npz, 'm.keras'), 'm.keras', /'model\.weights\.npz' \(saved with weights_format='npz'\)/);
    refused(() => readHdf5(new Uint8Array(100), 'x.h5'), 'x.h5', /not an HDF5 file/);
  });
});

describe('in a browser under a strict Content Security Policy', () => {
  it('the Keras file layer (and fflate in it) needs no Node module and evaluates no string as code', async () => {
    const entry = fileURLToPath(new URL('../src/io/keras/index.ts', import.meta.url));
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'kerasFiles', target: 'es2022', write: false, logLevel: 'silent' });
    const context = createContext({ TextEncoder, TextDecoder }, { codeGeneration: { strings: false, wasm: false } });
    expect(() => runInContext('new Function("return 1")', context)).toThrow(/Code generation from strings disallowed/);
    runInContext(result.outputFiles[0].text, context);
    // Read a .keras file and a deflated copy there, write one back, read that: the same numbers as in Node.
    const keras = file('lstm_dense.keras');
    const entries = listZip(keras);
    const deflated = zipSync(Object.fromEntries([...entries.keys()].map((n) => [n, readZipEntry(keras, entries.get(n)!)])), { level: 6 });
    const program = (api: typeof import('../src/io/keras/index.js'), bytes: Uint8Array, zipped: Uint8Array): string => {
      const d = api.readKerasZip(bytes);
      const z = api.readKerasZip(zipped);
      const back = api.readKerasZip(api.writeKerasFile({ config: d.config, weights: d.weights }));
      const values = (m: Map<string, { data: ArrayLike<number | bigint> }>): string => [...m].map(([k, w]) => `${k}=${Array.from(w.data).join(',')}`).join(';');
      return [d.kerasVersion, values(d.weights), values(z.weights), values(back.weights)].join('|');
    };
    context.bytes = keras;
    context.zipped = deflated;
    const inBrowser = runInContext(`(${program.toString()})(kerasFiles, new Uint8Array(bytes), new Uint8Array(zipped))`, context) as string;
    expect(inBrowser).toBe(program(await import('../src/io/keras/index.js'), keras, deflated));
    expect(inBrowser.split('|')[0]).toBe('3.15.1');
  });
});
