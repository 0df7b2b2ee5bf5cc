/**
 * Files are untrusted (issue #24, items 2 and 3). Every save format, damaged or hostile:
 *
 *   - lstm-ts JSON (Sequential.fromJSON): the examples of the issue (renamed optimizerState key,
 *     deleted stateful, inputShape[0] = 0, changed dtype, deleted compileConfig, iterations: 1e300,
 *     a negative Adam v slot, units: 5000, 1e8 input features) each refused with a clear error; and
 *     fast-check mutations (truncation, character flips, key renames and deletions, shape and dtype
 *     edits, number edits, huge declared sizes, `__proto__` keys), each refused with an Error
 *     naming Sequential.fromJSON or loaded identical (config, weights, predictions, optimizer state);
 *   - TF.js artifacts (fromTfjsArtifacts): swapped weight specs (different shapes: refused; equal
 *     shapes: matched by name), non-finite weights, huge declared sizes; fast-check mutations of the
 *     topology, the specs and the weight bytes, each refused with an Error naming fromTfjsArtifacts
 *     or loaded as the file says (every weight the bytes its spec names, the model re-exported and
 *     re-read unchanged; with the topology and specs untouched, the original config);
 *   - files on disk (loadTfjs): weight paths out of the directory (`..`, absolute, symbolic links),
 *     devices (/dev/zero, /dev/urandom), directories, wrong sizes; fast-check truncations,
 *     extensions and byte flips of model.json and the shards;
 *   - loading draws no random number (the setSeed stream is where it was).
 * Sizes are small, so every case runs in milliseconds; a check that allocated what a hostile file
 * declares (1e8 features, 5000 units) would exhaust memory or time here instead of passing.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, Sequential, Tensor, fromTfjsArtifacts, setSeed, toTfjsArtifacts, type SequentialJSON, type TfjsModelArtifacts } from '../src/index.js';
import { loadTfjs, saveTfjs } from '../src/node.js';
import { expectBitIdentical, randomOneHot, randomTensor } from './model-helpers.js';

// ---------------------------------------------------------------------------------------------
// The model every mutation starts from
// ---------------------------------------------------------------------------------------------

const x = randomTensor([4, 3, 3], 71, 'float32');

function trainedModel(): Sequential {
  setSeed(70);
  const model = new Sequential([new LSTM({ units: 3, inputShape: [3, 3], returnSequences: true }), new LSTM({ units: 2, stateful: false }), new Dense({ units: 2, activation: 'softmax' })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  model.fit(x, randomOneHot([4], 2, 72, 'float32'), { epochs: 2, batchSize: 2, verbose: 0, shuffle: false });
  return model;
}

const original = trainedModel();
const savedDoc = original.toJSON();
const savedText = JSON.stringify(savedDoc);

function doc(): Record<string, any> {
  return JSON.parse(savedText);
}

/** Everything observable is the original's. */
function expectIdentical(loaded: Sequential): void {
  expect(loaded.name).toBe(original.name);
  expect(loaded.dtype).toBe(original.dtype);
  expect(loaded.layers.map((l) => l.getConfig())).toEqual(original.layers.map((l) => l.getConfig()));
  expectBitIdentical(loaded.getWeights(), original.getWeights(), 'weights');
  expectBitIdentical(loaded.predict(x), original.predict(x), 'predictions');
  expect(loaded.loss?.name).toBe(original.loss?.name);
  expect(loaded.metricNames).toEqual(original.metricNames);
  const a = original.optimizer!.getState();
  const b = loaded.optimizer!.getState();
  expect(b.iterations).toBe(a.iterations);
  a.slots.forEach((slots, i) => expectBitIdentical(b.slots[i], slots, `slots of weight ${i}`));
  expect(loaded.optimizer!.getConfig()).toEqual(original.optimizer!.getConfig());
}

function refusedFromJSON(text: string, message?: RegExp): void {
  let error: unknown;
  try {
    Sequential.fromJSON(text);
  } catch (e) {
    error = e;
  }
  expect(error, 'refused').toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/^Sequential\.fromJSON: \S/);
  if (message) expect((error as Error).message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------
// lstm-ts JSON
// ---------------------------------------------------------------------------------------------

describe('lstm-ts JSON: the damaged files of the issue', () => {
  it('the untouched document loads identical', () => {
    expectIdentical(Sequential.fromJSON(savedText));
  });

  const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
    ['a renamed optimizerState key', (d) => { d.optimizerStat = d.optimizerState; delete d.optimizerState; }, /optimizerState is missing/],
    ['a deleted stateful', (d) => delete d.modelConfig.layers[1].config.stateful, /modelConfig\.layers\[1\]: config\.stateful is missing/],
    ['inputShape[0] = 0', (d) => { d.modelConfig.inputShape[0] = 0; }, /modelConfig\.inputShape: expected \[batch or null, \.\.\., features\] with positive integer sizes, got \[0,3,3\]/],
    ['a changed model dtype', (d) => { d.modelConfig.dtype = 'float64'; }, /config\.dtype is 'float32', but modelConfig\.dtype is 'float64'/],
    ["a changed weight's dtype", (d) => { d.weights[2].dtype = 'float64'; }, /weights\[2\] \(lstm_\d+\/bias\): dtype: expected 'float32' \(the model's\), got 'float64'/],
    ['a deleted compileConfig', (d) => delete d.compileConfig, /compileConfig is missing/],
    ['iterations: 1e300', (d) => { d.optimizerState.iterations = 1e300; }, /optimizerState: iterations: expected a non-negative integer \(at most 2\^53 - 1\), got 1e\+300/],
    ['a changed activation (a valid config, but not the saved one)', (d) => { d.modelConfig.layers[2].config.activation = 'sigmoid'; }, /checksum mismatch: the document's CRC-32 is [0-9a-f]{8}, the file says "[0-9a-f]{8}" \(the file was changed after it was saved/],
    ['a changed learning rate', (d) => { d.compileConfig.optimizer.config.learningRate = 0.02; }, /checksum mismatch/],
    ['units: 5000 (kernels stored for 3)', (d) => { d.modelConfig.layers[0].config.units = 5000; }, /weight 0 \(lstm_\d+\/kernel\) has shape \[3, 12\], expected \[3, 20000\]/],
    ['1e8 input features', (d) => { d.modelConfig.inputShape[2] = 1e8; }, /weight 0 \(lstm_\d+\/kernel\) has shape \[3, 12\], expected \[100000000, 12\]/],
    ['a declared shape of 1e8 features with its weight', (d) => { d.modelConfig.inputShape[2] = 1e8; d.weights[0].shape = [1e8, 12]; }, /weights\[0\] \(lstm_\d+\/kernel\): data holds 144 bytes, expected 4800000000/],
    ['a declared batch of 1e9 samples', (d) => { d.modelConfig.inputShape = [1e9, 3, 3]; }, /declares batches of 3000000000 rows .* at most 268435456/],
    ['an unknown top-level field', (d) => { d.extra = 1; }, /unknown field\(s\) "extra"/],
    ['an unknown layer config field', (d) => { d.modelConfig.layers[0].config.zoneout = 0.5; }, /LSTM: unknown option 'zoneout'|unknown.*zoneout/],
    ['a slot shape that does not match its weight', (d) => { d.optimizerState.slots[0][0].shape = [12, 3]; }, /optimizerState\.slots\[0\]\[0\]: shape \[12, 3\] does not match weight lstm_\d+\/kernel \[3, 12\]/],
    ['an optimizer state without a compile config', (d) => { d.compileConfig = null; }, /optimizerState: expected null for a model saved uncompiled/],
    ['a metric that cannot read the loss\'s targets', (d) => { d.compileConfig.metrics = ['sparseCategoricalAccuracy']; }, /metric 'sparseCategoricalAccuracy' reads class indices as targets, but loss categoricalCrossentropy takes targets shaped like the predictions/],
    ['a metric named twice', (d) => { d.compileConfig.metrics = ['accuracy', 'acc', 'accuracy']; }, /compileConfig\.metrics: metrics names "accuracy" twice/],
    ['an unknown metric among several', (d) => { d.compileConfig.metrics = ['accuracy', 'mae', 'precision']; }, /compileConfig\.metrics: unknown metric "precision"/],
    ['an old format version', (d) => { d.formatVersion = 1; }, /formatVersion: this version of lstm-ts reads version 2, got 1 \(written by an earlier/],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what}`, () => {
      const d = doc();
      change(d);
      refusedFromJSON(JSON.stringify(d), message);
    });
  }

  it('refuses a negative Adam v slot, and a non-finite one, even with their checksums made right', async () => {
    const { serializeTensor, documentChecksum } = await import('../src/model/serialization.js');
    for (const bad of [-1e-3, Number.POSITIVE_INFINITY]) {
      const d = doc();
      const v = original.optimizer!.getState().slots[1][1].clone();
      v.data[2] = bad;
      d.optimizerState.slots[1][1] = serializeTensor(v);
      d.checksum = documentChecksum(d);
      refusedFromJSON(JSON.stringify(d), bad < 0 ? /optimizerState\.slots\[1\]\[1\] \(Adam v\): holds -0\.001\d* at flat index 2; this slot is never negative/ : /optimizerState\.slots\[1\]\[1\]: holds Infinity at flat index 2; expected finite numbers/);
    }
  });

  it('a valid edit with its checksum made right loads as that model (the checksum guards damage, not authorship)', async () => {
    const { documentChecksum } = await import('../src/model/serialization.js');
    const d = doc();
    d.compileConfig.optimizer.config.learningRate = 0.02;
    d.checksum = documentChecksum(d);
    expect(Sequential.fromJSON(JSON.stringify(d)).optimizer!.learningRate).toBe(0.02);
  });
});

type Path = (string | number)[];

/** Every object and array in the document, with its path. */
function nodes(value: unknown, path: Path = [], out: { path: Path; node: any }[] = []): { path: Path; node: any }[] {
  if (value !== null && typeof value === 'object') {
    out.push({ path, node: value });
    for (const [k, v] of Object.entries(value)) nodes(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

const mutation = fc.record({
  kind: fc.constantFrom('truncate', 'flip', 'rename', 'delete', 'shape', 'dtype', 'number', 'config', 'huge', 'proto', 'swapWeights'),
  a: fc.nat(),
  b: fc.nat(),
  value: fc.constantFrom<unknown>(0, -1, 1, 2, 0.5, 0.02, 1e300, -0, 2 ** 31, 5000, 1e8, 'float64', 'x', 'relu', 'sigmoid', 'ones', null, true, false, [], {}),
});

/** The mutated text of a document. */
function mutate(text: string, m: { kind: string; a: number; b: number; value: unknown }): string {
  if (m.kind === 'truncate') return text.slice(0, m.a % text.length);
  if (m.kind === 'flip') {
    const at = m.a % text.length;
    const alphabet = 'AB09+/="{}[],:.-e ';
    let c = alphabet[m.b % alphabet.length];
    if (c === text[at]) c = alphabet[(m.b + 1) % alphabet.length];
    return text.slice(0, at) + c + text.slice(at + 1);
  }
  const d = JSON.parse(text);
  const all = nodes(d);
  const { node } = all[m.a % all.length];
  const keys = Object.keys(node);
  const key = keys.length > 0 ? keys[m.b % keys.length] : undefined;
  switch (m.kind) {
    case 'rename':
      if (key !== undefined && !Array.isArray(node)) {
        node[`${key}_`] = node[key];
        delete node[key];
      }
      break;
    case 'delete':
      if (key !== undefined) {
        if (Array.isArray(node)) node.splice(Number(key), 1);
        else delete node[key];
      }
      break;
    case 'shape': {
      const shaped = all.filter((n) => Array.isArray(n.node.shape));
      const s = shaped[m.a % shaped.length].node.shape as number[];
      if (s.length > 0) s[m.b % s.length] = typeof m.value === 'number' ? m.value : s[m.b % s.length] + 1;
      else s.push(1);
      break;
    }
    case 'dtype': {
      const typed = all.filter((n) => typeof n.node.dtype === 'string');
      const t = typed[m.a % typed.length].node;
      t.dtype = t.dtype === 'float32' ? 'float64' : 'float32';
      break;
    }
    case 'number':
      if (key !== undefined) node[key] = m.value;
      break;
    case 'config': {
      // A value of a layer's or the optimizer's config, or the loss: often valid, but not what was saved.
      const configs = [
        ...(d.modelConfig?.layers ?? []).map((l: any) => l.config), d.compileConfig?.optimizer?.config, d.compileConfig, // lstm-ts JSON
        ...(d.modelTopology?.config?.layers ?? []).map((l: any) => l.config), // TF.js
      ].filter((c) => c);
      const c = configs[m.a % configs.length];
      const ks = Object.keys(c);
      c[ks[m.b % ks.length]] = m.value;
      break;
    }
    case 'huge': {
      const configs = d.modelConfig.layers.map((l: any) => l.config);
      const c = configs[m.a % configs.length];
      if (m.b % 2 === 0) c.units = m.value === 1e8 ? 1e8 : 5000;
      else d.modelConfig.inputShape[d.modelConfig.inputShape.length - 1] = 1e8;
      break;
    }
    case 'proto':
      Object.defineProperty(node, '__proto__', { value: { polluted: true, units: 5000 }, enumerable: true, configurable: true, writable: true });
      break;
    case 'swapWeights': {
      const i = m.a % d.weights.length;
      const j = m.b % d.weights.length;
      [d.weights[i], d.weights[j]] = [d.weights[j], d.weights[i]];
      break;
    }
  }
  return JSON.stringify(d);
}

describe('lstm-ts JSON: random mutations (fast-check)', () => {
  it('each is refused with an error naming Sequential.fromJSON, or loads identical', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        const text = mutate(savedText, m);
        let loaded: Sequential | undefined;
        try {
          loaded = Sequential.fromJSON(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/^Sequential\.fromJSON: \S/);
          refused++;
        }
        if (loaded !== undefined) expectIdentical(loaded);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300, seed: 24 },
    );
    expect(refused).toBeGreaterThan(250); // nearly every change is caught; the rest change nothing
  });
});

// ---------------------------------------------------------------------------------------------
// TF.js artifacts
// ---------------------------------------------------------------------------------------------

function artifacts(): TfjsModelArtifacts {
  return toTfjsArtifacts(original);
}

/** The float32 values the bytes hold for each spec, by name. */
function valuesBySpec(a: { weightSpecs: { name: string; shape: number[] }[]; weightData: ArrayBuffer }): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of a.weightSpecs) {
    const n = spec.shape.reduce((p, d) => p * d, 1);
    out.set(spec.name, new Float32Array(a.weightData.slice(offset, offset + 4 * n)));
    offset += 4 * n;
  }
  return out;
}

function refusedTfjs(body: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    body();
  } catch (e) {
    error = e;
  }
  expect(error, 'refused').toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/fromTfjsArtifacts: \S/);
  if (message) expect((error as Error).message).toMatch(message);
}

describe('TF.js artifacts: damaged and hostile', () => {
  it('swapped weight specs: of different shapes refused, of equal shapes matched by name', () => {
    const a = artifacts();
    // The second LSTM's kernel [3, 8] and recurrent_kernel [2, 8]: names swapped (refused at the first of them).
    const swapped = structuredClone(a.weightSpecs);
    [swapped[3].name, swapped[4].name] = [swapped[4].name, swapped[3].name];
    refusedTfjs(() => fromTfjsArtifacts({ ...a, weightSpecs: swapped }), /weight 'lstm_\d+\/kernel' has shape \[2, 8\], but layer lstm_\d+ as configured needs lstm_\d+\/kernel of shape \[3, 8\]/);
    // The same specs and bytes listed in another order load the same model: matched by name.
    const values = valuesBySpec(a);
    const specs = [...a.weightSpecs].reverse();
    const data = new Float32Array(specs.reduce((n, s) => n + values.get(s.name)!.length, 0));
    let at = 0;
    for (const s of specs) {
      data.set(values.get(s.name)!, at);
      at += values.get(s.name)!.length;
    }
    expectBitIdentical(fromTfjsArtifacts({ ...a, weightSpecs: specs, weightData: data.buffer }).getWeights(), original.getWeights(), 'weights');
    // The first LSTM's kernel and recurrent_kernel are both [3, 12]: with their names swapped, each
    // weight takes the bytes listed under its name (TF.js bytes have no checksum to tell more).
    const equal = structuredClone(a.weightSpecs);
    [equal[0].name, equal[1].name] = [equal[1].name, equal[0].name];
    const crossed = fromTfjsArtifacts({ ...a, weightSpecs: equal }).getWeights();
    expectBitIdentical([crossed[0], crossed[1]], [original.getWeights()[1], original.getWeights()[0]], 'weights matched by name');
  });

  it('refuses non-finite weights, naming the weight', () => {
    const a = artifacts();
    const data = new Float32Array(a.weightData.slice(0));
    data[5] = Number.NaN;
    refusedTfjs(() => fromTfjsArtifacts({ ...a, weightData: data.buffer }), /weight 0 \(lstm_\d+\/kernel\).*NaN/);
  });

  it('refuses huge declared sizes by arithmetic, before allocating', () => {
    const a = artifacts();
    const topology = structuredClone(a.modelTopology);
    topology.config.layers[0].config.units = 5000;
    refusedTfjs(() => fromTfjsArtifacts({ ...a, modelTopology: topology }), /has shape \[3, 12\], but layer lstm_\d+ as configured needs lstm_\d+\/kernel of shape \[3, 20000\]/);
    const wide = structuredClone(a.modelTopology);
    wide.config.layers[0].config.batch_input_shape = [null, 3, 1e8];
    refusedTfjs(() => fromTfjsArtifacts({ ...a, modelTopology: wide }), /needs lstm_\d+\/kernel of shape \[100000000, 12\]/);
    const specs = structuredClone(a.weightSpecs);
    specs[0].shape = [1e8, 12];
    refusedTfjs(() => fromTfjsArtifacts({ ...a, modelTopology: wide, weightSpecs: specs }), /weightData holds \d+ bytes, but weightSpecs describe 8 float32 weights of 4800000\d+ bytes \(truncated/);
    const batch = structuredClone(a.modelTopology);
    batch.config.layers[0].config.batch_input_shape = [1e9, 3, 2];
    refusedTfjs(() => fromTfjsArtifacts({ ...a, modelTopology: batch }), /declares batches of 3000000000 rows/);
  });

  it('random mutations of the topology, the specs and the bytes (fast-check): refused, or loaded as the file says', () => {
    const base = artifacts();
    const baseJSON = JSON.stringify({ modelTopology: base.modelTopology, weightSpecs: base.weightSpecs });
    fc.assert(
      fc.property(mutation, fc.boolean(), fc.nat(), fc.nat(255), (m, onBytes, at, byte) => {
        let a: { modelTopology: any; weightSpecs: any; weightData: ArrayBuffer };
        if (onBytes) {
          const bytes = new Uint8Array(base.weightData.slice(0));
          const data = m.kind === 'truncate' ? bytes.slice(0, at % bytes.length) : bytes;
          if (m.kind !== 'truncate') data[at % data.length] = byte;
          a = { modelTopology: base.modelTopology, weightSpecs: base.weightSpecs, weightData: data.buffer };
        } else {
          let parsed: any;
          try {
            parsed = JSON.parse(mutate(baseJSON, m.kind === 'huge' || m.kind === 'swapWeights' ? { ...m, kind: 'number' } : m));
          } catch {
            return; // a truncated or flipped text that is not JSON: model.json's parser refuses it (tested on disk below)
          }
          a = { modelTopology: parsed?.modelTopology, weightSpecs: parsed?.weightSpecs, weightData: base.weightData };
        }
        let loaded: Sequential | undefined;
        try {
          loaded = fromTfjsArtifacts(a);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/^fromTfjsArtifacts: \S/);
        }
        if (loaded === undefined) return;
        // Every weight holds the bytes its spec names.
        const values = valuesBySpec(a);
        loaded.weightNames.forEach((name, i) => {
          const spec = [...values.keys()].find((n) => n === name || n.replace(/:0$/, '') === name);
          expect(spec, `a spec for ${name}`).toBeDefined();
          expectBitIdentical(loaded!.getWeights()[i], new Tensor(values.get(spec!)!, loaded!.getWeights()[i].shape), name);
        });
        // What it loaded, it writes and reads back unchanged.
        // (The export declares the input shape the model was built for, which the file may have left to the weights.)
        const again = fromTfjsArtifacts(toTfjsArtifacts(loaded));
        const withoutShape = (m: Sequential) => m.layers.map((l) => ({ ...l.getConfig().config, batchInputShape: undefined }));
        expect(withoutShape(again)).toEqual(withoutShape(loaded));
        expect(again.inputShape).toEqual(loaded.inputShape);
        expectBitIdentical(again.getWeights(), loaded.getWeights(), 'weights re-read');
        if (onBytes) expect(loaded.layers.map((l) => l.getConfig())).toEqual(original.layers.map((l) => ({ ...l.getConfig() })));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300, seed: 23 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Files on disk: loadTfjs
// ---------------------------------------------------------------------------------------------

describe('loadTfjs: hostile files on disk', () => {
  let root = '';
  let dir = '';
  let modelJSON: Record<string, any> = {};
  let shard = new Uint8Array();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lstm-ts-formats-'));
    dir = join(root, 'model');
    await saveTfjs(original, dir);
    modelJSON = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    shard = new Uint8Array(await readFile(join(dir, modelJSON.weightsManifest[0].paths[0])));
    await writeFile(join(root, 'outside.bin'), shard);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function withPaths(paths: string[], name: string): Promise<string> {
    const sub = join(root, name);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'group1-shard1of1.bin'), shard);
    const json = structuredClone(modelJSON);
    json.weightsManifest[0].paths = paths;
    await writeFile(join(sub, 'model.json'), JSON.stringify(json));
    return join(sub, 'model.json');
  }

  it('the untouched files load the model', async () => {
    const loaded = await loadTfjs(join(dir, 'model.json'));
    expectBitIdentical(loaded.getWeights(), original.getWeights(), 'weights');
  });

  const hostile: [string, string, RegExp][] = [
    ['../outside.bin', 'up', /"\.\.\/outside\.bin" points outside model\.json's directory/],
    ['../../../../../../../../etc/passwd', 'passwd', /points outside model\.json's directory/],
    ['/dev/zero', 'zero', /"\/dev\/zero" is an absolute path/],
    ['/dev/urandom', 'urandom', /"\/dev\/urandom" is an absolute path/],
    ['file:///etc/passwd', 'url', /is a URL/],
    ['.', 'dot', /points outside model\.json's directory|not a regular file/],
  ];
  for (const [path, name, message] of hostile) {
    it(`refuses the weight path ${path}`, async () => {
      await expect(loadTfjs(await withPaths([path], name))).rejects.toThrow(message);
    });
  }

  it('refuses symbolic links out of the directory, to a device, and a directory; follows one inside', async () => {
    const json = await withPaths(['link.bin'], 'links');
    const sub = join(root, 'links');
    await symlink(join(root, 'outside.bin'), join(sub, 'link.bin'));
    await expect(loadTfjs(json)).rejects.toThrow(/"link\.bin" is a link to .*outside\.bin, outside model\.json's directory/);
    await rm(join(sub, 'link.bin'));
    await symlink('/dev/zero', join(sub, 'link.bin'));
    await expect(loadTfjs(json)).rejects.toThrow(/"link\.bin" is a link to \/dev\/zero, outside model\.json's directory/);
    await rm(join(sub, 'link.bin'));
    await mkdir(join(sub, 'link.bin'));
    await expect(loadTfjs(json)).rejects.toThrow(/link\.bin is not a regular file/);
    await rm(join(sub, 'link.bin'), { recursive: true });
    await symlink(join(sub, 'group1-shard1of1.bin'), join(sub, 'link.bin'));
    expectBitIdentical((await loadTfjs(json)).getWeights(), original.getWeights(), 'weights through a link inside');
  });

  it('refuses weight files of the wrong size before reading them, and a model.json that is a device', async () => {
    const json = await withPaths(['group1-shard1of1.bin'], 'sizes');
    const file = join(root, 'sizes', 'group1-shard1of1.bin');
    await appendFile(file, new Uint8Array(4));
    await expect(loadTfjs(json)).rejects.toThrow(/hold \d+ bytes, but their manifest lists 8 float32 weights of \d+ bytes \(too long/);
    await truncate(file, 10);
    await expect(loadTfjs(json)).rejects.toThrow(/hold 10 bytes, .*\(truncated/);
    await expect(loadTfjs('/dev/zero')).rejects.toThrow(/loadTfjs: \/dev\/zero: cannot read the file: \/dev\/zero is not a regular file/);
    await expect(loadTfjs(root)).rejects.toThrow(/loadTfjs: .*: cannot read the file/);
  });

  it('random damage to model.json and the shard (fast-check): refused with an error naming the file, or loaded as the file says', async () => {
    const text = JSON.stringify(modelJSON);
    const sub = join(root, 'fuzz');
    await mkdir(sub, { recursive: true });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('truncateJSON', 'flipJSON', 'truncateShard', 'extendShard', 'flipShard', 'mutateJSON'), fc.nat(), fc.nat(255), mutation, async (kind, at, byte, m) => {
        run++;
        const json = kind === 'truncateJSON' ? text.slice(0, at % text.length)
          : kind === 'flipJSON' ? mutate(text, { ...m, kind: 'flip', a: at })
          : kind === 'mutateJSON' ? mutate(text, m.kind === 'huge' || m.kind === 'swapWeights' ? { ...m, kind: 'number' } : m)
          : text;
        let bytes = shard;
        if (kind === 'truncateShard') bytes = shard.slice(0, at % shard.length);
        if (kind === 'extendShard') bytes = new Uint8Array([...shard, ...new Uint8Array(1 + (at % 64))]);
        if (kind === 'flipShard') {
          bytes = shard.slice();
          bytes[at % bytes.length] = byte;
        }
        const path = join(sub, `model-${run}.json`);
        await writeFile(path, json);
        await writeFile(join(sub, 'group1-shard1of1.bin'), bytes);
        let loaded: Sequential | undefined;
        try {
          loaded = await loadTfjs(path);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message.startsWith(`loadTfjs: ${path}: `)).toBe(true);
        }
        await rm(path);
        if (loaded === undefined) return;
        const again = fromTfjsArtifacts(toTfjsArtifacts(loaded));
        expectBitIdentical(again.getWeights(), loaded.getWeights(), 'weights re-read');
        if (kind === 'flipShard') expect(loaded.layers.map((l) => l.getConfig())).toEqual(original.layers.map((l) => l.getConfig()));
      }),
      { numRuns: 120, seed: 25 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Loading draws no random number
// ---------------------------------------------------------------------------------------------

describe('loading leaves the random stream where it was', () => {
  function nextDraw(): Tensor[] {
    const probe = new Dense({ units: 3 });
    probe.build([null, 4]);
    return probe.getWeights();
  }

  it('fromJSON and fromTfjsArtifacts consume no random number', () => {
    setSeed(99);
    const expected = nextDraw();
    const a = artifacts();
    setSeed(99);
    Sequential.fromJSON(savedText);
    fromTfjsArtifacts(a);
    expectBitIdentical(nextDraw(), expected, 'the next draw after loading');
  });

  it('a refused file leaves the random stream where it was too', () => {
    setSeed(98);
    const expected = nextDraw();
    setSeed(98);
    const d = doc();
    d.checksum = '00000000';
    expect(() => Sequential.fromJSON(JSON.stringify(d))).toThrow(/checksum mismatch/);
    expectBitIdentical(nextDraw(), expected, 'the next draw after a refused load');
  });
});

/** The saved document's type is the exported one. */
export const _typed: SequentialJSON = savedDoc;
