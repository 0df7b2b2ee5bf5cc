/**
 * RepeatVector (src/layers/repeat-vector.ts): [B, F] → [B, n, F], backward the sum over the copies.
 *   1. forward and backward exact on hand-worked values; gradCheck in float64 (the input: it has no weights);
 *   2. TF.js 4.22 agreement on random encoder-decoder configurations
 *      (LSTM → RepeatVector → LSTM(returnSequences) → Dense): predict, loss, every weight gradient, dL/dx;
 *   3. save / load in the library's JSON and the TF.js Layers format both ways; summary; bad input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, LSTM, RepeatVector, SGD, Sequential, fromTfjsArtifacts, gradCheck, setSeed, tensor, toTfjsArtifacts } from '../src/index.js';
import { expectClose, expectNear, initTf, ourFigures, rng, tf, tfjsFigures, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

describe('RepeatVector forward and backward', () => {
  it('repeats each row n times, and sums the n copies\' gradients', () => {
    const layer = new RepeatVector({ n: 3 });
    expect(layer.forward(tensor([[1, 2], [3, 4]])).toArray()).toEqual([[[1, 2], [1, 2], [1, 2]], [[3, 4], [3, 4], [3, 4]]]);
    const dx = layer.backward(tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]));
    expect(dx.toArray()).toEqual([[9, 12], [27, 30]]);
    expect(layer.computeOutputShape([null, 2])).toEqual([null, 3, 2]);
    expect(layer.countParams()).toBe(0);
  });

  it('gradCheck in float64: worst relative error < 1e-6 for the input', () => {
    for (const [n, B, F] of [[1, 2, 3], [4, 3, 2], [2, 1, 5]]) {
      const layer = new RepeatVector({ n, dtype: 'float64' });
      const result = gradCheck({ layer, input: uniform([B, F], rng(n + B + F)).clone('float64') });
      expect(result.maxRelativeError).toBeLessThan(1e-6);
      expect(result.entriesChecked).toBe(B * F);
    }
  });

  it('refuses a bad n, inputs not of rank 2, and a dy of the wrong shape', () => {
    expect(() => new RepeatVector({ n: 0, name: 'r' })).toThrow('RepeatVector r: n: expected a positive integer, got 0');
    const layer = new RepeatVector({ n: 2, name: 'r2' });
    expect(() => layer.forward(tensor([[[1]]]))).toThrow('RepeatVector r2: input x must have shape [batch, features], got shape [1, 1, 1]');
    expect(() => layer.backward(tensor([[1]]))).toThrow('RepeatVector r2.backward: call forward before backward');
    layer.forward(tensor([[1, 2]]));
    expect(() => layer.backward(tensor([[[1, 2]]]))).toThrow('RepeatVector r2.backward: dy has shape [1, 1, 2], expected the output shape [1, 2, 2]');
    const model = new Sequential([new LSTM({ units: 2, inputShape: [3, 1], returnSequences: true }), new RepeatVector({ n: 2, name: 'r3' })].slice(0, 1));
    expect(() => model.add(new RepeatVector({ n: 2, name: 'r3' }))).toThrow(/layer r3 cannot take layer .* of shape \[null, 3, 2\]: RepeatVector r3: expected an input shape \[batch, features\]/);
  });
});

describe('TF.js 4.22 agreement (float32): LSTM → RepeatVector → LSTM(returnSequences) → Dense', () => {
  it('predict, loss, every weight gradient and dL/dx on random configurations', () => {
    for (let trial = 0; trial < 5; trial++) {
      const next = rng(200 + trial);
      const I = 1 + Math.floor(next() * 3);
      const T = 2 + Math.floor(next() * 3);
      const H = 1 + Math.floor(next() * 4);
      const n = 2 + Math.floor(next() * 3); // >= 2: TF.js 4.22 cannot differentiate an LSTM run for one step (tfjs-helpers.ts, tfjsFigures)
      const B = 1 + Math.floor(next() * 3);
      const U = 1 + Math.floor(next() * 3);
      const ours = new Sequential([
        new LSTM({ units: H, inputShape: [T, I] }),
        new RepeatVector({ n }),
        new LSTM({ units: H, returnSequences: true }),
        new Dense({ units: U }),
      ]);
      ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.6, 0.6)));
      ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      const lstm = (units: number, extra: object) => tf.layers.lstm({ units, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', unitForgetBias: true, ...extra });
      const theirs = tf.sequential({ layers: [lstm(H, { inputShape: [T, I] }), tf.layers.repeatVector({ n }), lstm(H, { returnSequences: true }), tf.layers.dense({ units: U })] });
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape], 'float32')));
      const x = uniform([B, T, I], next);
      const y = uniform([B, n, U], next);
      const a = ourFigures(ours, x, y);
      const b = tfjsFigures(theirs, 'meanSquaredError', x, y, true);
      const label = `trial ${trial} (I ${I}, T ${T}, H ${H}, n ${n}, B ${B}, U ${U})`;
      expectNear(a.output, b.output, 1e-6, `${label}: output`);
      expectNear([a.loss], [b.loss], 1e-6, `${label}: loss`);
      a.weightGrads.forEach((g, k) => expectClose(g, b.weightGrads[k]!, 1e-4, 1e-3, `${label}: gradient ${k}`));
      expectClose(a.inputGrad!, b.inputGrad!, 1e-4, 1e-3, `${label}: dL/dx`);
      theirs.dispose();
    }
  });
});

describe('RepeatVector save / load and summary', () => {
  it('JSON round trip; TF.js loads ours and predicts the same; TF.js\' own model loads here; summary row', async () => {
    setSeed(80);
    const model = new Sequential([new Dense({ units: 3, inputShape: [2] }), new RepeatVector({ n: 4, name: 'rep' }), new LSTM({ units: 2 })]);
    expect(model.layers[1].getConfig()).toEqual({ className: 'RepeatVector', config: { name: 'rep', n: 4, dtype: 'float32', batchInputShape: null } });
    expect(model.summary(null)).toContain('rep (RepeatVector)           (None, 4, 3)              0\n');
    const x = uniform([3, 2], rng(81));
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    const artifacts = toTfjsArtifacts(model);
    const written = (artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers[1];
    expect(written).toEqual({ class_name: 'RepeatVector', config: { name: 'rep', trainable: true, dtype: 'float32', n: 4 } });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expectNear(model.predict(x).data, tf.tidy(() => (theirs.predict(tf.tensor(x.data, [3, 2])) as tf.Tensor).dataSync()), 1e-6, 'TF.js loading ours');

    const tfModel = tf.sequential({ layers: [tf.layers.repeatVector({ n: 2, inputShape: [3] }), tf.layers.lstm({ units: 2, returnSequences: true })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = fromTfjsArtifacts(saved!);
    expect(loaded.layers[0]).toBeInstanceOf(RepeatVector);
    const x2 = uniform([2, 3], rng(82));
    expectNear(loaded.predict(x2).data, tf.tidy(() => (tfModel.predict(tf.tensor(x2.data, [2, 3])) as tf.Tensor).dataSync()), 1e-6, 'TF.js model loaded here');
  });
});
