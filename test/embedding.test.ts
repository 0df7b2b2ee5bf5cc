/**
 * Embedding (src/layers/embedding.ts):
 *   1. forward is a row lookup, exact; backward a scatter-add into dL/dembeddings (indices used
 *      several times collect every step's gradient), dL/dx zeros; indices that are not integers in
 *      [0, inputDim) refused, naming the value and its [b, t];
 *   2. the default initializer is Keras' RandomUniform(-0.05, 0.05) on the seeded stream;
 *   3. gradCheck in float64 of a model whose first layer is an Embedding (every weight; the
 *      integer input is not perturbed), with and without maskZero;
 *   4. maskZero: the mask reaches the LSTM, so a pre-padded sequence predicts exactly what the
 *      unpadded one does, and index 0 keeps its own row;
 *   5. TF.js 4.22 agreement on random configurations (Embedding → LSTM → Dense; maskZero on and
 *      off): predict, loss and every weight gradient;
 *   6. a model whose first layer is an Embedding takes [samples, timeSteps]; save / load in the
 *      library's JSON and the TF.js Layers format (both ways); summary as Keras prints it;
 *   7. the Keras user's model Sequential([Embedding, LSTM, Dropout(0.2), Dense]) fits, saves and
 *      loads with the same predictions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, Dropout, Embedding, LSTM, SGD, Sequential, fromTfjsArtifacts, gradCheck, setSeed, tensor, toTfjsArtifacts, type Tensor } from '../src/index.js';
import { randomUniform } from '../src/tensor/random.js';
import { expectClose, expectNear, initTf, ourFigures, rng, tf, tfjsFigures, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

/** Integer indices [B, T] in [0, V) from a private generator. */
function indices(B: number, T: number, V: number, next: () => number): Tensor {
  return tensor(Float32Array.from({ length: B * T }, () => Math.floor(next() * V)), [B, T]);
}

describe('Embedding forward and backward', () => {
  it('looks up rows exactly, and scatter-adds dy into the rows used (repeats collect every step)', () => {
    const layer = new Embedding({ inputDim: 4, outputDim: 2, dtype: 'float64' });
    layer.build([null, 3]);
    layer.setWeights([tensor([[0, 1], [10, 11], [20, 21], [30, 31]])]);
    const x = tensor([[1, 3, 1], [0, 2, 2]]);
    expect(layer.forward(x).toArray()).toEqual([[[10, 11], [30, 31], [10, 11]], [[0, 1], [20, 21], [20, 21]]]);
    const dy = tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    const dx = layer.backward(dy);
    expect(layer.getGradients()[0].toArray()).toEqual([[7, 8], [1 + 5, 2 + 6], [9 + 11, 10 + 12], [3, 4]]);
    expect(dx.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    // backward replaces the gradients (not accumulating across calls).
    layer.forward(tensor([[0, 0, 0], [0, 0, 0]]));
    layer.backward(dy);
    expect(layer.getGradients()[0].toArray()).toEqual([[1 + 3 + 5 + 7 + 9 + 11, 2 + 4 + 6 + 8 + 10 + 12], [0, 0], [0, 0], [0, 0]]);
  });

  it('refuses indices that are not integers in [0, inputDim), naming the value and its position, and draws no weights', () => {
    const layer = new Embedding({ inputDim: 5, outputDim: 2, name: 'emb' });
    expect(() => layer.forward(tensor([[0, 1], [2, 1.5]]))).toThrow('Embedding emb: input x holds 1.5 at [1, 1]; expected integer indices in [0, 5) (inputDim 5)');
    expect(() => layer.forward(tensor([[0, -1]]))).toThrow('Embedding emb: input x holds -1 at [0, 1]');
    expect(() => layer.forward(tensor([[5, 0]]))).toThrow('Embedding emb: input x holds 5 at [0, 0]');
    expect(() => layer.forward(tensor([[Number.NaN, 0]]))).toThrow('Embedding emb: input x holds NaN at [0, 0]');
    expect(() => layer.forward(tensor([[[1]]]))).toThrow('Embedding emb: input x must have shape [batch, timeSteps] (integer indices), got shape [1, 1, 1]');
    expect(layer.built).toBe(false);
    expect(() => new Embedding({ inputDim: 0, outputDim: 2, name: 'e' })).toThrow('Embedding e: inputDim: expected a positive integer, got 0');
    expect(() => new Embedding({ inputDim: 3, outputDim: 2, maskZero: 1 as never, name: 'e2' })).toThrow('Embedding e2: maskZero: expected true or false, got 1');
    expect(() => new Embedding({ inputDim: 3, outputDim: 2, inputLength: 4 } as never)).toThrow("Embedding: unknown option 'inputLength'");
  });

  it("draws its embeddings from Keras' RandomUniform(-0.05, 0.05) on the seeded stream", () => {
    setSeed(17);
    const layer = new Embedding({ inputDim: 30, outputDim: 7 });
    layer.build([null, 2]);
    const w = layer.getWeights()[0];
    setSeed(17);
    for (let i = 0; i < w.size; i++) expect(w.data[i]).toBe(Math.fround(-0.05 + 0.1 * randomUniform()));
    expect(Math.max(...w.data)).toBeLessThan(0.05);
    expect(Math.min(...w.data)).toBeGreaterThanOrEqual(-0.05);
  });
});

describe('Embedding gradients (float64 finite differences through a model)', () => {
  for (const maskZero of [false, true]) {
    it(`Embedding${maskZero ? '(maskZero)' : ''} → LSTM → Dense: every weight, worst relative error < 1e-6`, () => {
      setSeed(3);
      const model = new Sequential([
        new Embedding({ inputDim: 6, outputDim: 3, maskZero, inputShape: [5] }),
        new LSTM({ units: 3 }),
        new Dense({ units: 2 }),
      ], { dtype: 'float64' });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      // Larger weights than the initializer's, so every gradient is well above the floor.
      const next = rng(4);
      model.setWeights(model.getWeights().map((w) => uniform([...w.shape], next, -0.8, 0.8)));
      const x = tensor([[0, 0, 1, 5, 2], [3, 1, 4, 1, 5], [0, 2, 2, 0, 3]], undefined, 'float64');
      const y = uniform([3, 2], rng(5)).clone('float64');
      const result = gradCheck({ model, x, y });
      expect(result.maxRelativeError).toBeLessThan(1e-6);
      // Not vacuous: rows used get gradients; with maskZero, row 0 (only used at masked steps) gets none.
      const dE = model.computeGradients(x, y).grads[0];
      const row0 = Array.from(dE.data.subarray(0, 3));
      if (maskZero) expect(row0).toEqual([0, 0, 0]);
      else expect(row0.some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('Embedding maskZero', () => {
  it('a pre-padded sequence predicts exactly what the unpadded one does; without maskZero it does not; index 0 keeps its row', () => {
    const make = (maskZero: boolean) => {
      setSeed(8);
      return new Sequential([new Embedding({ inputDim: 5, outputDim: 3, maskZero, inputShape: [null] }), new LSTM({ units: 4 }), new Dense({ units: 1 })]);
    };
    const masked = make(true);
    const padded = masked.predict(tensor([[0, 0, 3, 1, 4]])).data[0];
    expect(padded).toBe(masked.predict(tensor([[3, 1, 4]])).data[0]);
    const plain = make(false);
    expect(plain.predict(tensor([[0, 0, 3, 1, 4]])).data[0]).not.toBe(plain.predict(tensor([[3, 1, 4]])).data[0]);
    // Looked up like any other index (Keras keeps the row): the layer's output at a 0 step is row 0.
    const emb = masked.layers[0] as Embedding;
    expect(Array.from(emb.forward(tensor([[0]])).data)).toEqual(Array.from(emb.getWeights()[0].data.subarray(0, 3)));
  });
});

describe('TF.js 4.22 agreement (float32): Embedding → LSTM → Dense on random configurations', () => {
  it('predict, loss and every weight gradient', () => {
    for (let trial = 0; trial < 6; trial++) {
      const next = rng(100 + trial);
      const V = 2 + Math.floor(next() * 8);
      const D = 1 + Math.floor(next() * 4);
      const H = 1 + Math.floor(next() * 4);
      const B = 1 + Math.floor(next() * 3);
      const T = 2 + Math.floor(next() * 4);
      const maskZero = trial % 2 === 1;
      const ours = new Sequential([
        new Embedding({ inputDim: V, outputDim: D, maskZero, inputShape: [T] }),
        new LSTM({ units: H }),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.6, 0.6)));
      ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
      const theirs = tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: V, outputDim: D, maskZero, inputShape: [T] }),
          tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', unitForgetBias: true }),
          tf.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape], 'float32')));
      const x = indices(B, T, V, next);
      if (maskZero) x.data[0] = 0; // at least one masked step (not every step of a sample: TF.js and Keras differ there)
      if (maskZero) x.data[T - 1] = Math.max(1, x.data[T - 1]);
      const y = tensor(Float32Array.from({ length: B * 2 }, (_, i) => (i % 2 === (i >> 1) % 2 ? 1 : 0)), [B, 2]);
      const a = ourFigures(ours, x, y);
      const b = tfjsFigures(theirs, 'categoricalCrossentropy', x, y, false);
      const label = `trial ${trial} (V ${V}, D ${D}, H ${H}, B ${B}, T ${T}, maskZero ${maskZero})`;
      expectNear(ours.predict(x).data, tf.tidy(() => (theirs.predict(tf.tensor(x.data, [B, T])) as tf.Tensor).dataSync()), 1e-6, `${label}: predict`);
      expectNear([a.loss], [b.loss], 1e-6, `${label}: loss`);
      a.weightGrads.forEach((g, k) => expectClose(g, b.weightGrads[k]!, 1e-4, 1e-3, `${label}: gradient ${k}`));
      theirs.dispose();
    }
  });
});

describe('Embedding in a model: input, save / load, summary', () => {
  it('a first-layer Embedding takes [samples, timeSteps], and fits', () => {
    setSeed(60);
    const model = new Sequential([new Embedding({ inputDim: 10, outputDim: 4 }), new LSTM({ units: 3 }), new Dense({ units: 1, activation: 'sigmoid' })]);
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const x = indices(16, 5, 10, rng(61));
    const y = tensor(Float32Array.from({ length: 16 }, (_, i) => i % 2), [16, 1]);
    const history = model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);
    expect(model.inputShape).toEqual([null, 5]);
    expect(() => model.predict(tensor([[[1], [2], [3], [4], [5]]]))).toThrow(/x: expected rank 2/);
    expect(() => model.predict(tensor([[1, 2, 3, 4, 10]]))).toThrow(`x (the input of Embedding ${model.layers[0].name}) holds 10 at [0, 4]; expected integer indices in [0, 10) (inputDim 10)`);
    expect(() => model.fit(tensor([[1, 2, 3, 4, 5]]), tensor([[1]]), { verbose: 0, validationData: [tensor([[1, 2, 3.5, 4, 5]]), tensor([[1]])] })).toThrow(`validationData[0] (the input of Embedding ${model.layers[0].name}) holds 3.5 at [0, 2]`);
  });

  it('a bad index anywhere in x is refused before any batch runs: a stateful model keeps its carried states, the weights are unchanged', () => {
    setSeed(64);
    const model = new Sequential([new Embedding({ inputDim: 5, outputDim: 2, batchInputShape: [1, 3] }), new LSTM({ units: 2, stateful: true }), new Dense({ units: 1 })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    model.predict(tensor([[1, 2, 3]]));
    const states = model.layers[1].getStates().map((s) => Array.from(s.data));
    const weights = model.getWeights().map((w) => Array.from(w.data));
    const x = tensor([[1, 2, 3], [4, 0, 1], [2, 7, 1]]);
    expect(() => model.predict(x, { batchSize: 1 })).toThrow(/x \(the input of Embedding embedding_\d+\) holds 7 at \[2, 1\]/);
    expect(() => model.fit(x, tensor([[1], [2], [3]]), { batchSize: 1, verbose: 0 })).toThrow(/holds 7 at \[2, 1\]/);
    expect(model.layers[1].getStates().map((s) => Array.from(s.data))).toEqual(states);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(weights);
    expect(states.flat().some((v) => v !== 0)).toBe(true);
  });

  it('summary rows as Keras prints them: (None, T, D) and V·D parameters', () => {
    setSeed(62);
    const model = new Sequential([new Embedding({ inputDim: 1000, outputDim: 64, inputShape: [10], name: 'embedding' }), new LSTM({ units: 8, name: 'lstm' })]);
    const text = model.summary(null);
    expect(text).toContain('embedding (Embedding)        (None, 10, 64)            64000\n');
    expect(model.layers[0].countParams()).toBe(64000);
  });

  it('JSON round trip bit for bit, and the TF.js Layers format both ways (TF.js predicts the same)', async () => {
    setSeed(63);
    const model = new Sequential([new Embedding({ inputDim: 7, outputDim: 3, maskZero: true, inputShape: [4] }), new LSTM({ units: 2 }), new Dense({ units: 1 })]);
    const x = tensor([[0, 1, 2, 6], [3, 0, 5, 4]]);
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(back.layers[0].getConfig()).toEqual(model.layers[0].getConfig());
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));

    const artifacts = toTfjsArtifacts(model);
    const written = (artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers[0];
    expect(written.class_name).toBe('Embedding');
    expect(written.config).toMatchObject({ batch_input_shape: [null, 4], input_dim: 7, output_dim: 3, mask_zero: true, embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } } });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expectNear(model.predict(x).data, tf.tidy(() => (theirs.predict(tf.tensor(x.data, [2, 4])) as tf.Tensor).dataSync()), 1e-6, 'TF.js loading ours');
    const again = fromTfjsArtifacts(artifacts);
    expect(Array.from(again.predict(x).data)).toEqual(Array.from(model.predict(x).data));

    const tfModel = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 9, outputDim: 2, inputLength: 3, inputShape: [3] }), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = fromTfjsArtifacts(saved!);
    expect(loaded.layers[0]).toBeInstanceOf(Embedding);
    const x2 = tensor([[8, 0, 3]]);
    expectNear(loaded.predict(x2).data, tf.tidy(() => (tfModel.predict(tf.tensor(x2.data, [1, 3])) as tf.Tensor).dataSync()), 1e-6, 'TF.js Embedding → Flatten → Dense loaded here');
  });

  it("a Keras user's model: Sequential([Embedding, LSTM, Dropout(0.2), Dense]) fits, saves (toJSON / fromJSON) and loads with the same predictions", () => {
    setSeed(70);
    const model = new Sequential([
      new Embedding({ inputDim: 20, outputDim: 8, maskZero: true }),
      new LSTM({ units: 6 }),
      new Dropout({ rate: 0.2 }),
      new Dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const next = rng(71);
    const x = indices(24, 6, 20, next);
    for (let b = 0; b < 24; b += 3) x.data[b * 6] = 0; // some pre-padding
    const y = tensor(Float32Array.from({ length: 24 }, (_, i) => x.data[i * 6 + 5] % 3), [24]);
    const history = model.fit(x, y, { epochs: 30, batchSize: 8, verbose: 0 });
    expect(history.history.loss[29]).toBeLessThan(history.history.loss[0]);
    const restored = Sequential.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(restored.layers.map((l) => l.getConfig().className)).toEqual(['Embedding', 'LSTM', 'Dropout', 'Dense']);
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    expect(restored.evaluate(x, y)).toEqual(model.evaluate(x, y));
  });
});
