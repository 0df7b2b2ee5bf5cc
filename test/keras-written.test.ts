/**
 * lstm-ts writes Keras 3 `.keras` files (toKerasBytes, saveKeras) that Keras 3.15 loads, predicts
 * alike and trains on: test/fixtures/keras-written.ts wrote the files and keras-written.py ran
 * them in Keras (its figures are in keras-written.json); this test reads only those, and checks
 * that toKerasBytes still writes exactly the committed bytes, and that lstm-ts reads its own files back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromKerasBytes, setSeed, toKerasBytes, type Tensor } from '../src/index.js';
import { loadKeras, saveKeras } from '../src/node.js';
import { MODELS } from './fixtures/keras-written-models.js';

const records = JSON.parse(readFileSync(new URL('./fixtures/keras-written.json', import.meta.url), 'utf8')) as Record<string, {
  input: number[][][]; predictions: unknown;
  keras: { version: string; predictions: unknown; compiled: string | null; loss: string; fitLoss: number };
}>;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const written = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/keras-written/${name}.keras`, import.meta.url)));

describe('.keras files written by lstm-ts', () => {
  for (const name of Object.keys(MODELS)) {
    it(`${name}: toKerasBytes writes the committed file; Keras ${records[name].keras.version} loads it compiled, predicts within 1e-5 of lstm-ts, and trains on`, () => {
      setSeed(7);
      const model = MODELS[name]();
      expect(toKerasBytes(model)).toEqual(written(name));
      const ours = flat((model.predict(records[name].input, { batchSize: 2 }) as Tensor).toArray());
      flat(records[name].keras.predictions).forEach((v, k) => expect(Math.abs(v - ours[k])).toBeLessThan(1e-5));
      expect(records[name].keras.compiled).toBe(model.optimizer!.className);
      expect(records[name].keras.loss).toBe(model.loss!.kerasName);
      expect(Number.isFinite(records[name].keras.fitLoss)).toBe(true);
    });

    it(`${name}: reads back as the same model (config, weights, predictions)`, () => {
      setSeed(7);
      const model = MODELS[name]();
      const back = fromKerasBytes(toKerasBytes(model), { fileName: `${name}.keras` });
      expect(back.layers.map((l) => ({ ...l.getConfig().config, name: undefined }))).toEqual(model.layers.map((l) => ({ ...l.getConfig().config, name: undefined })));
      expect(back.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
      expect(Array.from(back.predict(records[name].input, { batchSize: 2 }).data)).toEqual(Array.from(model.predict(records[name].input, { batchSize: 2 }).data));
    });
  }
});

describe('loading compiled: { compile: true }', () => {
  it('compiles with the file\'s settings (optimizer and its options, loss, metrics), and refuses by name what lstm-ts lacks', () => {
    setSeed(7);
    const model = MODELS.lstm_dense();
    const back = fromKerasBytes(toKerasBytes(model), { compile: true });
    expect(back.optimizer!.className).toBe('Adam');
    expect(back.optimizer!.getConfig()).toEqual(model.optimizer!.getConfig());
    expect(back.loss!.name).toBe('categoricalCrossentropy');
    expect(back.metricNames).toEqual(['accuracy']);
    expect(fromKerasBytes(toKerasBytes(model)).optimizer).toBeUndefined(); // uncompiled by default
    // Keras' own file: Adam, 'mse', metrics ['mae']
    const keras = new Uint8Array(readFileSync(new URL('./fixtures/keras-files/lstm_dense.keras', import.meta.url)));
    const fromKeras = fromKerasBytes(keras, { compile: true, fileName: 'lstm_dense.keras' });
    expect(fromKeras.loss!.name).toBe('meanSquaredError');
    expect(fromKeras.metricNames).toEqual(['mae']);
    expect(fromKeras.optimizer!.className).toBe('Adam');
    expect(() => fromKerasBytes(keras, { compile: 'yes' as never })).toThrow(/fromKerasBytes: compile: expected true or false/);
  });
});

describe('saveKeras / loadKeras', () => {
  let scratch = '';
  beforeAll(async () => (scratch = await mkdtemp(join(tmpdir(), 'lstm-ts-keras-write-'))));
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  it('writes a file loadKeras reads back with the same weights; refuses what is not a model or a path', async () => {
    setSeed(7);
    const model = MODELS.lstm_dense();
    const path = join(scratch, 'model.keras');
    await saveKeras(model, path);
    expect(new Uint8Array(readFileSync(path))).toEqual(toKerasBytes(model));
    const back = await loadKeras(path);
    expect(back.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
    await expect(saveKeras({} as never, path)).rejects.toThrow(/saveKeras: model: expected a Sequential/);
    await expect(saveKeras(model, '')).rejects.toThrow(/saveKeras: path/);
  });
});
