/**
 * Keras files as models (src/io/keras/model.ts, loadKeras in src/node.ts): the `.keras` and `.h5`
 * files Keras 3.15 wrote (test/fixtures/keras-files/, made by keras-files.py) load with Keras'
 * weights bit for bit and predict what Keras predicted; the tf.keras 2.x layout too; what lstm-ts
 * lacks is refused by name, a damaged file with a clear error, before anything is built.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LSTM, fromKerasBytes, tensor, type Sequential } from '../src/index.js';
import { readKerasZip, writeKerasFile } from '../src/io/keras/index.js';
import { loadKeras } from '../src/node.js';

const dir = new URL('./fixtures/keras-files/', import.meta.url);
const fixtures = JSON.parse(readFileSync(new URL('keras-files.json', dir), 'utf8')) as {
  models: Record<string, { input: unknown; inputShape: number[]; predictions: unknown; weights: Record<string, { values: number[] }>; variables: { path: string; shape: number[] }[] }>;
  keras2Style: { file: string; model: string };
};
const bytes = (file: string): Uint8Array => new Uint8Array(readFileSync(new URL(file, dir)));
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

describe('Keras 3 files load as models', () => {
  for (const name of Object.keys(fixtures.models)) {
    for (const ext of ['keras', 'h5']) {
      it(`${name}.${ext}: Keras' weights bit for bit, Keras' predictions within 1e-5`, () => {
        const model = fromKerasBytes(bytes(`${name}.${ext}`), { fileName: `${name}.${ext}` });
        const info = fixtures.models[name];
        const ours = model.getWeights().map((w) => Array.from(w.data));
        expect(ours.map((w) => w.length)).toEqual(info.variables.map((v) => v.shape.reduce((a, b) => a * b, 1)));
        // every weight is one of the file's, value for value
        const theirs = Object.entries(info.weights).filter(([p]) => p.startsWith('layers/')).map(([, w]) => w.values.map(Math.fround));
        for (const w of ours) expect(theirs.some((t) => t.length === w.length && t.every((v, k) => Object.is(v, w[k])))).toBe(true);
        const predicted = model.predict(tensor(flat(info.input), info.inputShape)).data;
        flat(info.predictions).forEach((v, k) => expect(Math.abs(predicted[k] - v)).toBeLessThan(1e-5));
      });
    }
  }

  it("the tf.keras 2.x layout (lstm/lstm_cell/kernel:0 names under model_weights) loads as the Keras 3 file does", () => {
    const legacy = fromKerasBytes(bytes(fixtures.keras2Style.file), { fileName: fixtures.keras2Style.file });
    const modern = fromKerasBytes(bytes(`${fixtures.keras2Style.model}.keras`));
    expect(legacy.getWeights().map((w) => Array.from(w.data))).toEqual(modern.getWeights().map((w) => Array.from(w.data)));
  });

  it('an integer input layer (keras.Input(..., dtype=\'int32\'), as Embedding models declare it) is read as the numbers it holds', () => {
    const original = readKerasZip(bytes('lstm_dense.keras'));
    const config = structuredClone(original.config) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const input = config.config.layers.find((l) => l.class_name === 'InputLayer')!;
    input.config.dtype = 'int32';
    const model = fromKerasBytes(writeKerasFile({ kerasVersion: original.kerasVersion, config: config as unknown as Record<string, unknown>, weights: original.weights }));
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(fromKerasBytes(bytes('lstm_dense.keras')).getWeights().map((w) => Array.from(w.data)));
    input.config.dtype = 'string';
    expect(() => fromKerasBytes(writeKerasFile({ kerasVersion: original.kerasVersion, config: config as unknown as Record<string, unknown>, weights: original.weights }))).toThrow(/dtype/);
  });

  it('refuses what lstm-ts lacks by name, and a damaged file clearly, building nothing', () => {
    const original = readKerasZip(bytes('lstm_dense.keras'));
    const withLayer = (edit: (layers: Record<string, unknown>[]) => void): Uint8Array => {
      const config = structuredClone(original.config) as { config: { layers: Record<string, unknown>[] } };
      edit(config.config.layers);
      return writeKerasFile({ kerasVersion: original.kerasVersion, config: config as unknown as Record<string, unknown>, weights: original.weights });
    };
    expect(() => fromKerasBytes(withLayer((layers) => (layers[1].class_name = 'Conv1D')), { fileName: 'conv.keras' })).toThrow(/conv\.keras.*unsupported layer class 'Conv1D'/);
    expect(() => fromKerasBytes(withLayer((layers) => ((layers[1].config as Record<string, unknown>).recurrent_dropout = 0.5)), { fileName: 'dropout.keras' })).toThrow(/recurrent_dropout is 0\.5/);
    expect((fromKerasBytes(withLayer((layers) => ((layers[1].config as Record<string, unknown>).dropout = 0.25))).layers[0] as LSTM).dropout).toBe(0.25); // input dropout crosses
    expect(() => fromKerasBytes(withLayer((layers) => ((layers[1] as Record<string, unknown>).registered_name = 'MyLSTM')), { fileName: 'custom.keras' })).toThrow(/MyLSTM/);
    const whole = bytes('lstm_dense.keras');
    expect(() => fromKerasBytes(whole.subarray(0, whole.length - 100), { fileName: 'cut.keras' })).toThrow(/cut\.keras/);
    expect(() => fromKerasBytes(new Uint8Array([1, 2, 3, 4]), { fileName: 'junk.bin' })).toThrow(/junk\.bin/);
  });
});

describe('GRU (both forms) and SimpleRNN from Keras 3 files', () => {
  const recurrent = JSON.parse(readFileSync(new URL('./fixtures/keras-recurrent/keras-recurrent.json', import.meta.url), 'utf8')) as { input: number[][][]; predictions: number[][]; weights: unknown[] };
  for (const ext of ['keras', 'h5']) {
    it(`gru_simple_rnn.${ext} (Masking, GRU backwards, GRU resetAfter false, SimpleRNN relu): Keras' weights bit for bit, its predictions within 1e-5, compiled as it was`, () => {
      const file = new Uint8Array(readFileSync(new URL(`./fixtures/keras-recurrent/gru_simple_rnn.${ext}`, import.meta.url)));
      const model = fromKerasBytes(file, { fileName: `gru_simple_rnn.${ext}`, compile: true });
      expect(model.layers.map((l) => l.getConfig().className)).toEqual(['GRU', 'GRU', 'SimpleRNN', 'Dense']);
      expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(recurrent.weights.map((w) => flat(w).map(Math.fround)));
      const predicted = model.predict(recurrent.input).data;
      flat(recurrent.predictions).forEach((v, k) => expect(Math.abs(predicted[k] - v)).toBeLessThan(1e-5));
      expect([model.optimizer!.className, model.loss!.name, model.metricNames]).toEqual(['Adam', 'categoricalCrossentropy', ['accuracy']]);
    });
  }
});

describe('the wrappers from a Keras 3 file: Bidirectional (concat, ave; LSTM and GRU inside) and TimeDistributed', () => {
  it("wrappers.keras loads with Keras' weights bit for bit (kept under forward_layer / backward_layer / layer) and predicts within 1e-5", () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras-wrappers/keras-wrappers.json', import.meta.url), 'utf8')) as { input: number[][][]; predictions: unknown; weights: unknown[] };
    const model = fromKerasBytes(new Uint8Array(readFileSync(new URL('./fixtures/keras-wrappers/wrappers.keras', import.meta.url))), { fileName: 'wrappers.keras' });
    expect(model.layers.map((l) => l.getConfig().className)).toEqual(['Bidirectional', 'Bidirectional', 'RepeatVector', 'TimeDistributed']);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(fixture.weights.map((w) => flat(w).map(Math.fround)));
    const predicted = model.predict(fixture.input).data;
    flat(fixture.predictions).forEach((v, k) => expect(Math.abs(predicted[k] - v)).toBeLessThan(1e-5));
  });
});

describe('loadKeras (Node)', () => {
  let scratch = '';
  beforeAll(async () => (scratch = await mkdtemp(join(tmpdir(), 'lstm-ts-keras-'))));
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  it('reads a .keras file from disk; refuses a directory and a missing file by path', async () => {
    const path = join(scratch, 'model.keras');
    await writeFile(path, bytes('stateful.keras'));
    const model: Sequential = await loadKeras(path);
    expect(model.stateful).toBe(true);
    await expect(loadKeras(scratch)).rejects.toThrow(/not a regular file/);
    await expect(loadKeras(join(scratch, 'missing.keras'))).rejects.toThrow(/missing\.keras/);
    await expect(loadKeras('' as string)).rejects.toThrow(/loadKeras: path/);
  });
});
