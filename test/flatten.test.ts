/**
 * Flatten (src/layers/flatten.ts): [B, ...] → [B, prod] in row-major order, backward the reshape back.
 *   1. exact on hand-worked values; gradCheck in float64 (the input), alone and inside
 *      TimeDistributed over [B, T, rows, cols, channels] (the CNN LSTM's use);
 *   2. TF.js 4.22 agreement on random LSTM(returnSequences) → Flatten → Dense stacks: predict, loss,
 *      every weight gradient, dL/dx; and Embedding → Flatten → Dense saved by TF.js loads here;
 *   3. save / load in the library's JSON and the TF.js Layers format; summary; bad input;
 *      data_format 'channels_first' refused by name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, Embedding, Flatten, LSTM, SGD, Sequential, TimeDistributed, fromTfjsArtifacts, gradCheck, setSeed, tensor, toTfjsArtifacts } from '../src/index.js';
import { expectClose, expectNear, initTf, ourFigures, rng, tf, tfjsFigures, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

async function tfjsSave(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

describe('Flatten forward and backward', () => {
  it('flattens row-major and reshapes the gradient back', () => {
    const layer = new Flatten();
    const y = layer.forward(tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]));
    expect(y.toArray()).toEqual([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    expect(layer.backward(tensor([[6, 5, 4, 3, 2, 1], [0, 1, 0, 1, 0, 1]])).toArray()).toEqual([[[6, 5], [4, 3], [2, 1]], [[0, 1], [0, 1], [0, 1]]]);
    expect(layer.computeOutputShape([null, 3, 4, 2])).toEqual([null, 24]);
    expect(layer.computeOutputShape([null, null, 4])).toEqual([null, null]);
  });

  it('gradCheck in float64: alone, and TimeDistributed(Flatten) on [B, T, rows, cols, channels]', () => {
    expect(gradCheck({ layer: new Flatten({ dtype: 'float64' }), input: uniform([2, 3, 2, 2], rng(1)).clone('float64') }).maxRelativeError).toBeLessThan(1e-6);
    const td = new TimeDistributed(new Flatten({ dtype: 'float64' }));
    const x = uniform([2, 3, 2, 2, 3], rng(2)).clone('float64');
    const result = gradCheck({ layer: td, input: x });
    expect(result.maxRelativeError).toBeLessThan(1e-6);
    expect(result.entriesChecked).toBe(x.size);
    expect(td.forward(x).shape).toEqual([2, 3, 12]);
  });

  it('refuses rank-1 input, a dy of the wrong shape, unknown options', () => {
    const layer = new Flatten({ name: 'f' });
    expect(() => layer.forward(tensor([1, 2]))).toThrow('Flatten f: input x must have rank 2 or more ([batch, ...]), got shape [2]');
    expect(() => layer.backward(tensor([[1]]))).toThrow('Flatten f.backward: call forward before backward');
    layer.forward(tensor([[[1, 2]]]));
    expect(() => layer.backward(tensor([[1, 2, 3]]))).toThrow('Flatten f.backward: dy has shape [1, 3], expected the output shape [1, 2]');
    expect(() => new Flatten({ dataFormat: 'channels_first' } as never)).toThrow("Flatten: unknown option 'dataFormat'");
  });
});

describe('TF.js 4.22 agreement (float32): LSTM(returnSequences) → Flatten → Dense', () => {
  it('predict, loss, every weight gradient and dL/dx on random configurations', () => {
    for (let trial = 0; trial < 5; trial++) {
      const next = rng(400 + trial);
      const I = 1 + Math.floor(next() * 3);
      const T = 2 + Math.floor(next() * 3);
      const H = 1 + Math.floor(next() * 4);
      const B = 1 + Math.floor(next() * 3);
      const U = 1 + Math.floor(next() * 3);
      const ours = new Sequential([new LSTM({ units: H, inputShape: [T, I], returnSequences: true }), new Flatten(), new Dense({ units: U, activation: 'tanh' })]);
      ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.6, 0.6)));
      ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      const theirs = tf.sequential({ layers: [tf.layers.lstm({ units: H, inputShape: [T, I], returnSequences: true, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', unitForgetBias: true }), tf.layers.flatten(), tf.layers.dense({ units: U, activation: 'tanh' })] });
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape], 'float32')));
      const x = uniform([B, T, I], next);
      const y = uniform([B, U], next);
      const a = ourFigures(ours, x, y);
      const b = tfjsFigures(theirs, 'meanSquaredError', x, y, true);
      const label = `trial ${trial} (I ${I}, T ${T}, H ${H}, B ${B}, U ${U})`;
      expectNear(ours.predict(x).data, b.output, 1e-6, `${label}: predict`);
      expectNear([a.loss], [b.loss], 1e-6, `${label}: loss`);
      a.weightGrads.forEach((g, k) => expectClose(g, b.weightGrads[k]!, 1e-4, 1e-3, `${label}: gradient ${k}`));
      expectClose(a.inputGrad!, b.inputGrad!, 1e-4, 1e-3, `${label}: dL/dx`);
      theirs.dispose();
    }
  });
});

describe('Flatten save / load and summary', () => {
  it('JSON round trip, summary, and our model in TF.js', async () => {
    setSeed(20);
    const model = new Sequential([new LSTM({ units: 2, inputShape: [3, 2], returnSequences: true }), new Flatten({ name: 'flat' }), new Dense({ units: 1 })]);
    expect(model.summary(null)).toContain('flat (Flatten)               (None, 6)                 0\n');
    expect(model.layers[1].getConfig()).toEqual({ className: 'Flatten', config: { name: 'flat', dtype: 'float32', batchInputShape: null } });
    const x = uniform([2, 3, 2], rng(21));
    expect(Array.from(Sequential.fromJSON(JSON.stringify(model.toJSON())).predict(x).data)).toEqual(Array.from(model.predict(x).data));
    const artifacts = toTfjsArtifacts(model);
    const written = (artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers[1];
    expect(written).toEqual({ class_name: 'Flatten', config: { name: 'flat', trainable: true, dtype: 'float32', data_format: 'channels_last' } });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expectNear(model.predict(x).data, tf.tidy(() => (theirs.predict(tf.tensor(x.data, [2, 3, 2])) as tf.Tensor).dataSync()), 1e-6, 'TF.js loading ours');
  });

  it("TF.js' own Embedding → Flatten → Dense model loads here and predicts the same; channels_first refused by name", async () => {
    const tfModel = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 9, outputDim: 2, inputLength: 3, inputShape: [3] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    const saved = await tfjsSave(tfModel);
    const loaded = fromTfjsArtifacts(saved);
    expect(loaded.layers.map((l) => l.getConfig().className)).toEqual(['Embedding', 'Flatten', 'Dense']);
    expect(loaded.layers[0]).toBeInstanceOf(Embedding);
    const x = tensor([[8, 0, 3], [1, 2, 4]]);
    expectNear(loaded.predict(x).data, tf.tidy(() => (tfModel.predict(tf.tensor(x.data, [2, 3])) as tf.Tensor).dataSync()), 1e-6, 'TF.js model loaded here');
    const layers = (saved.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    layers[1].config.data_format = 'channels_first';
    expect(() => fromTfjsArtifacts(saved)).toThrow(/data_format is "channels_first"; lstm-ts supports only 'channels_last'/);
  });
});
