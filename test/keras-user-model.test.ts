/**
 * The issue's Keras user's model, in lstm-ts:
 *   Sequential([Embedding(maskZero), Bidirectional(LSTM(returnSequences)), Dropout(0.2), GRU, Dense])
 * fits (the loss falls), saves and loads (toJSON / fromJSON: the same predictions and evaluate,
 * bit for bit), and moves to TF.js 4.22 (toTfjsArtifacts → tf.loadLayersModel predicts the same;
 * with the GRU's resetAfter false, since TF.js lacks Keras' default reset_after=True) and back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Bidirectional, Dense, Dropout, Embedding, GRU, LSTM, Sequential, fromTfjsArtifacts, setSeed, tensor, toTfjsArtifacts } from '../src/index.js';
import { expectNear, initTf, rng, tf } from './tfjs-helpers.js';

beforeAll(initTf);

describe("the Keras user's model: Embedding → Bidirectional(LSTM) → Dropout → GRU → Dense", () => {
  it('fits, saves and loads with the same predictions, and TF.js predicts the same', async () => {
    setSeed(90);
    const model = new Sequential([
      new Embedding({ inputDim: 12, outputDim: 6, maskZero: true, inputShape: [7] }),
      new Bidirectional(new LSTM({ units: 5, returnSequences: true })),
      new Dropout({ rate: 0.2 }),
      new GRU({ units: 4, resetAfter: false }),
      new Dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const next = rng(91);
    const x = tensor(Float32Array.from({ length: 30 * 7 }, () => 1 + Math.floor(next() * 11)), [30, 7]);
    for (let b = 0; b < 30; b += 2) x.data[b * 7] = 0; // pre-padded samples
    for (let b = 0; b < 30; b += 5) x.data[b * 7 + 1] = 0;
    const y = tensor(Float32Array.from({ length: 30 }, (_, b) => x.data[b * 7 + 6] % 3), [30]);
    const history = model.fit(x, y, { epochs: 40, batchSize: 10, verbose: 0 });
    expect(history.history.loss[39]).toBeLessThan(0.5 * history.history.loss[0]);

    const restored = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    expect(restored.evaluate(x, y)).toEqual(model.evaluate(x, y));

    const artifacts = toTfjsArtifacts(model);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const theirPredictions = tf.tidy(() => (theirs.predict(tf.tensor(x.data, [30, 7])) as tf.Tensor).dataSync());
    expectNear(model.predict(x).data, theirPredictions, 1e-5, 'TF.js predicting our model');
    expect(Array.from(fromTfjsArtifacts(artifacts).predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });
});
