/**
 * Keras 3 .keras files with the layers of issue 26 (Embedding with mask_zero, Dropout, Flatten,
 * RepeatVector), both ways (test/fixtures/keras-layers-files.py writes and reads them, and says
 * how to run it):
 *   - Keras' embedding_stack.keras loads here (through the layers' registered Keras mappings) and
 *     predicts what Keras predicted, within 1e-6 (float32);
 *   - lstm-ts' own file written from it (lstm-ts-embedding_stack.keras, committed) is what the
 *     writer writes today, byte for byte, and Keras loaded it and predicted the same, within 1e-6.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dropout, Embedding, Flatten, RepeatVector, fromKerasBytes, tensor } from '../src/index.js';
import { lstmTsEmbeddingStack } from './fixtures/keras-layers-files-write.js';
import { expectNear } from './tfjs-helpers.js';

const dir = new URL('./fixtures/keras-layers-files/', import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const figures = JSON.parse(readFileSync(new URL('keras-layers-files.json', dir), 'utf8')) as {
  keras: string;
  x: number[][];
  predictions: number[][];
  readBack?: { predictions: number[][]; fitLoss: number };
};

describe(`Keras ${figures.keras} .keras files: Embedding(mask_zero) → Dropout → LSTM → Flatten → RepeatVector → LSTM → Dense`, () => {
  it("Keras' file loads here and predicts what Keras predicted", () => {
    const model = fromKerasBytes(file('embedding_stack.keras'));
    expect(model.layers.map((l) => l.getConfig().className)).toEqual(['Embedding', 'Dropout', 'LSTM', 'Flatten', 'RepeatVector', 'LSTM', 'Dense']);
    expect((model.layers[0] as Embedding).maskZero).toBe(true);
    expect((model.layers[1] as Dropout).rate).toBe(0.3);
    expect(model.layers[3]).toBeInstanceOf(Flatten);
    expect((model.layers[4] as RepeatVector).n).toBe(2);
    expectNear(model.predict(tensor(figures.x)).data, figures.predictions.flat(), 1e-6, 'predictions');
  });

  it("lstm-ts' file is what the writer writes today, and Keras loaded it and predicted the same", () => {
    const written = lstmTsEmbeddingStack(file('embedding_stack.keras'));
    expect(Buffer.from(written).equals(Buffer.from(file('lstm-ts-embedding_stack.keras')))).toBe(true);
    expect(figures.readBack, 'keras-layers-files.py --read-back has run').toBeDefined();
    expectNear(figures.readBack!.predictions.flat(), figures.predictions.flat(), 1e-6, 'Keras reading lstm-ts');
    expect(Number.isFinite(figures.readBack!.fitLoss)).toBe(true);
  });
});
