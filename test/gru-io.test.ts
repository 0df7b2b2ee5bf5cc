/**
 * GRU and SimpleRNN through the registry: the library's JSON (same weights, same predictions),
 * the TF.js Layers format both ways against TF.js 4.22 (SimpleRNN, GRU resetAfter false: what
 * TF.js has), and summary's parameter counts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, GRU, SimpleRNN, Sequential, Tensor, fromTfjsArtifacts, setSeed, toTfjsArtifacts } from '../src/index.js';
import { expectNear, initTf, rng, tf } from './tfjs-helpers.js';

beforeAll(initTf);

const input = (seed: number): Tensor => {
  const next = rng(seed);
  return new Tensor(Float32Array.from({ length: 3 * 4 * 2 }, () => next() * 2 - 1), [3, 4, 2]);
};

const models: Record<string, () => Sequential> = {
  'GRU (resetAfter true), masked, backwards': () => new Sequential([new GRU({ units: 3, inputShape: [4, 2], maskValue: 0, goBackwards: true, returnSequences: true }), new GRU({ units: 2 }), new Dense({ units: 2, activation: 'softmax' })]),
  'GRU (resetAfter false), stateful': () => new Sequential([new GRU({ units: 4, batchInputShape: [3, 4, 2], resetAfter: false, stateful: true }), new Dense({ units: 1, activation: 'sigmoid' })]),
  'SimpleRNN relu, no bias': () => new Sequential([new SimpleRNN({ units: 5, inputShape: [4, 2], activation: 'relu', useBias: false }), new Dense({ units: 2 })]),
};

describe('GRU and SimpleRNN saved and loaded', () => {
  it.each(Object.keys(models))('%s: toJSON / fromJSON gives the same config, weights and predictions', (name) => {
    setSeed(4);
    const model = models[name]();
    const loaded = Sequential.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(loaded.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
    expect(Array.from(loaded.predict(input(1)).data)).toEqual(Array.from(model.predict(input(1)).data));
  });

  it('summary counts the parameters as Keras does: GRU 3·(H·(I+H) + 2H) with resetAfter, 3·(H·(I+H) + H) without; SimpleRNN H·(I+H) + H', () => {
    setSeed(5);
    const gru = new Sequential([new GRU({ units: 8, inputShape: [4, 3] })]);
    const gruBefore = new Sequential([new GRU({ units: 8, inputShape: [4, 3], resetAfter: false })]);
    const rnn = new Sequential([new SimpleRNN({ units: 4, inputShape: [4, 8] })]);
    expect(gru.countParams()).toBe(3 * (8 * 11 + 16));
    expect(gruBefore.countParams()).toBe(3 * (8 * 11 + 8));
    expect(rnn.countParams()).toBe(4 * 12 + 4);
    expect(gru.summary(null)).toMatch(/\(GRU\)\s.*\b312\b/);
  });

  it('SimpleRNN and GRU (resetAfter false) cross to TF.js and back: TF.js predicts what we predict, and its save loads here with the same weights', async () => {
    for (const name of ['GRU (resetAfter false), stateful', 'SimpleRNN relu, no bias']) {
      setSeed(6);
      const model = models[name]();
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(model)));
      try {
        const x = input(2);
        const predicted = tf.tidy(() => (theirs.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync());
        expectNear(predicted, model.predict(x).data, 1e-6, name);
        let saved: tf.io.ModelArtifacts | undefined;
        await theirs.save(tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }));
        const back = fromTfjsArtifacts(saved!);
        expect(back.getWeights().map((w) => Array.from(w.data)), name).toEqual(model.getWeights().map((w) => Array.from(w.data)));
      } finally {
        theirs.dispose();
      }
    }
  });
});
