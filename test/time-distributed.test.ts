/**
 * TimeDistributed (src/layers/time-distributed.ts): the wrapped layer at every step, [B, T, ...]
 * folded into [B·T, ...].
 *   1. TimeDistributed(Dense) gives exactly Dense on the 3-D input (outputs and gradients, bit for bit);
 *   2. gradCheck in float64 for every weight and the input: Dense, an LSTM over the inner time axis
 *      of a 4-D input, TimeDistributed nested twice, a fixed-mask Dropout;
 *   3. TF.js 4.22 agreement on random encoder-decoder configurations ending in
 *      TimeDistributed(Dense(softmax)): predict, loss, every weight gradient, dL/dx;
 *   4. a step mask passes through; config nests the wrapped layer's ({ layer: { className, config } },
 *      Keras' { layer: { class_name, config } }); JSON and TF.js Layers format both ways; summary;
 *      the model dtype reaches the wrapped layer; bad arguments refused by name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dense, Dropout, LSTM, RepeatVector, SGD, Sequential, TimeDistributed, fromTfjsArtifacts, gradCheck, setSeed, tensor, toTfjsArtifacts, type DenseActivation, type Tensor } from '../src/index.js';
import { expectClose, expectNear, initTf, ourFigures, rng, tf, tfjsFigures, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

describe('TimeDistributed forward and backward', () => {
  it('TimeDistributed(Dense) is Dense on the 3-D input, bit for bit: output, dx, gradients', () => {
    setSeed(1);
    const dense = new Dense({ units: 3, activation: 'tanh' });
    const wrapped = new TimeDistributed(new Dense({ units: 3, activation: 'tanh' }));
    const x = uniform([2, 4, 5], rng(2));
    dense.build([null, 4, 5]);
    wrapped.build([null, 4, 5]);
    wrapped.setWeights(dense.getWeights());
    const y1 = dense.forward(x);
    const y2 = wrapped.forward(x);
    expect(y2.shape).toEqual([2, 4, 3]);
    expect(Array.from(y2.data)).toEqual(Array.from(y1.data));
    const dy = uniform([2, 4, 3], rng(3));
    const dx1 = dense.backward(dy);
    const dx2 = wrapped.backward(dy);
    expect(dx2.shape).toEqual([2, 4, 5]);
    expect(Array.from(dx2.data)).toEqual(Array.from(dx1.data));
    expect(wrapped.getGradients().map((g) => Array.from(g.data))).toEqual(dense.getGradients().map((g) => Array.from(g.data)));
    expect(wrapped.weightNames).toEqual(['kernel', 'bias']);
    expect(wrapped.countParams()).toBe(5 * 3 + 3);
  });

  it('step t of the output is the wrapped layer applied to step t of the input alone (fast-check: shapes, activations, an LSTM wrapped; within 1e-6, as a batch of B·T rows may take another product kernel than a batch of 1)', () => {
    const activations: DenseActivation[] = ['linear', 'tanh', 'sigmoid', 'relu', 'softmax'];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom(...activations), fc.boolean(), fc.integer({ min: 0, max: 1000 }), (B, T, I, U, activation, lstm, seed) => {
        setSeed(seed);
        const inner = lstm ? new LSTM({ units: U }) : new Dense({ units: U, activation });
        const layer = new TimeDistributed(inner);
        const shape = lstm ? [B, T, 2, I] : [B, T, I];
        const x = uniform(shape, rng(seed + 1));
        const y = layer.forward(x);
        const step = x.size / (B * T);
        const outStep = y.size / (B * T);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            const r = b * T + t;
            const alone = inner.forward(tensor(x.data.slice(r * step, (r + 1) * step), [1, ...shape.slice(2)]));
            expectNear(y.data.subarray(r * outStep, (r + 1) * outStep), alone.data, 1e-6, `step [${b}, ${t}]`);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  const cases: [string, () => TimeDistributed, number[]][] = [
    ['Dense(tanh)', () => new TimeDistributed(new Dense({ units: 3, activation: 'tanh', dtype: 'float64' })), [2, 3, 4]],
    ['Dense(softmax) on a 4-D input', () => new TimeDistributed(new Dense({ units: 3, activation: 'softmax', dtype: 'float64' })), [2, 2, 3, 2]],
    ['LSTM over the inner time axis of [B, T, T2, I]', () => new TimeDistributed(new LSTM({ units: 2, dtype: 'float64' })), [2, 3, 4, 2]],
    ['TimeDistributed(TimeDistributed(Dense))', () => new TimeDistributed(new TimeDistributed(new Dense({ units: 2, activation: 'sigmoid', dtype: 'float64' }))), [2, 2, 3, 3]],
  ];
  for (const [label, make, shape] of cases) {
    it(`gradCheck in float64, ${label}: every weight and the input, worst relative error < 1e-6`, () => {
      setSeed(4);
      const layer = make();
      const x = uniform(shape, rng(5)).clone('float64');
      layer.build([null, ...shape.slice(1)]);
      const next = rng(6);
      layer.setWeights(layer.getWeights().map((w) => uniform([...w.shape], next, -0.8, 0.8)));
      const result = gradCheck({ layer, input: x });
      expect(result.maxRelativeError).toBeLessThan(1e-6);
      expect(result.entriesChecked).toBe(layer.countParams() + x.size);
    });
  }

  it('gradCheck in float64, TimeDistributed(Dropout) with its mask fixed (re-seeded before every forward)', () => {
    class Fixed extends TimeDistributed {
      override forward(x: Tensor, options?: { training?: boolean }): Tensor {
        setSeed(77);
        return super.forward(x, options);
      }
    }
    const layer = new Fixed(new Dropout({ rate: 0.4, dtype: 'float64' }));
    const x = uniform([2, 3, 4], rng(7)).clone('float64');
    expect(gradCheck({ layer, input: x }).maxRelativeError).toBeLessThan(1e-6);
    const y = layer.forward(x, { training: true });
    expect(Array.from(y.data).some((v) => v === 0)).toBe(true);
    // Inference: the identity.
    expect(Array.from(layer.forward(x).data)).toEqual(Array.from(x.data));
  });

  it('refuses bad arguments by name', () => {
    expect(() => new TimeDistributed({} as never)).toThrow('TimeDistributed: layer is required');
    expect(() => new TimeDistributed({ layer: 3 } as never)).toThrow('TimeDistributed: layer: expected a layer (new Dense(...)) or its config { className, config }, got 3');
    expect(() => new TimeDistributed({ layer: { className: 'Nope', config: {} } })).toThrow(/TimeDistributed: layer: unsupported layer class "Nope"/);
    expect(() => new TimeDistributed(new LSTM({ units: 2, batchInputShape: [1, 2, 2], stateful: true }))).toThrow(/is stateful; a wrapped layer sees B·T samples/);
    const layer = new TimeDistributed(new Dense({ units: 2 }), { name: 'td' });
    expect(() => layer.forward(tensor([[1, 2]]))).toThrow('TimeDistributed td: input x must have rank 3 or more ([batch, timeSteps, ...]), got shape [1, 2]');
    expect(() => layer.backward(tensor([[[1, 2]]]))).toThrow('TimeDistributed td.backward: call forward before backward');
    layer.forward(tensor([[[1, 2, 3]]]));
    expect(() => layer.backward(tensor([[[1, 2, 3]]]))).toThrow('TimeDistributed td.backward: dy has shape [1, 1, 3], expected the output shape [1, 1, 2]');
    expect(() => layer.forward(tensor([[[1, 2]]]))).toThrow(/Dense dense_\d+: input x has 2 features/);
  });
});

describe('TF.js 4.22 agreement (float32): LSTM → RepeatVector → LSTM(returnSequences) → TimeDistributed(Dense(softmax))', () => {
  it('predict, loss, every weight gradient and dL/dx on random configurations', () => {
    for (let trial = 0; trial < 5; trial++) {
      const next = rng(300 + trial);
      const I = 1 + Math.floor(next() * 3);
      const T = 2 + Math.floor(next() * 3);
      const H = 1 + Math.floor(next() * 4);
      const n = 2 + Math.floor(next() * 3);
      const B = 1 + Math.floor(next() * 3);
      const U = 2 + Math.floor(next() * 3);
      const ours = new Sequential([
        new LSTM({ units: H, inputShape: [T, I] }),
        new RepeatVector({ n }),
        new LSTM({ units: H, returnSequences: true }),
        new TimeDistributed(new Dense({ units: U, activation: 'softmax' })),
      ]);
      ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.6, 0.6)));
      ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
      const lstm = (units: number, extra: object) => tf.layers.lstm({ units, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', unitForgetBias: true, ...extra });
      const theirs = tf.sequential({ layers: [lstm(H, { inputShape: [T, I] }), tf.layers.repeatVector({ n }), lstm(H, { returnSequences: true }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: U, activation: 'softmax' }) })] });
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape], 'float32')));
      const x = uniform([B, T, I], next);
      const y = tensor(Float32Array.from({ length: B * n * U }, (_, i) => (i % U === Math.floor(i / U) % U ? 1 : 0)), [B, n, U]);
      const a = ourFigures(ours, x, y);
      const b = tfjsFigures(theirs, 'categoricalCrossentropy', x, y, true);
      const label = `trial ${trial} (I ${I}, T ${T}, H ${H}, n ${n}, B ${B}, U ${U})`;
      expectNear(a.output, b.output, 1e-6, `${label}: output`);
      expectNear(ours.predict(x).data, b.output, 1e-6, `${label}: predict`);
      expectNear([a.loss], [b.loss], 1e-6, `${label}: loss`);
      a.weightGrads.forEach((g, k) => expectClose(g, b.weightGrads[k]!, 1e-4, 1e-3, `${label}: gradient ${k}`));
      expectClose(a.inputGrad!, b.inputGrad!, 1e-4, 1e-3, `${label}: dL/dx`);
      theirs.dispose();
    }
  });
});

describe('TimeDistributed in a model', () => {
  it('passes a step mask on: LSTM(maskValue, returnSequences) → TimeDistributed(Dense) scores as LSTM → Dense does', () => {
    const make = (wrap: boolean) => {
      setSeed(9);
      const dense = new Dense({ units: 1 });
      const m = new Sequential([new LSTM({ units: 3, inputShape: [4, 2], returnSequences: true, maskValue: 0 }), wrap ? new TimeDistributed(dense) : dense]);
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      return m;
    };
    const xs = tensor([[[0, 0], [0, 0], [1, 2], [0.5, -1]], [[0.3, 0.1], [0, 0], [-1, 1], [2, 0]]]);
    const ys = tensor([[[9], [9], [0.1], [0.2]], [[0.3], [9], [-0.1], [0.4]]]);
    const wrapped = make(true);
    expect(wrapped.evaluate(xs, ys)).toEqual(make(false).evaluate(xs, ys));
    expect(wrapped.computeGradients(xs, ys)).toEqual(make(false).computeGradients(xs, ys));
    expect(wrapped.evaluate(xs, ys).loss).toBeLessThan(2);
  });

  it('config nests the wrapped layer; JSON round trip; summary; the model dtype reaches the wrapped layer', () => {
    setSeed(10);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2], returnSequences: true }), new TimeDistributed(new Dense({ units: 3, name: 'inner' }), { name: 'td' })]);
    expect(model.layers[1].getConfig()).toEqual({
      className: 'TimeDistributed',
      config: { name: 'td', layer: { className: 'Dense', config: { name: 'inner', units: 3, activation: 'linear', useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', dtype: 'float32', batchInputShape: null } }, dtype: 'float32', batchInputShape: null },
    });
    expect(model.summary(null)).toContain('td (TimeDistributed)         (None, 3, 3)              15\n');
    expect(model.weightNames).toEqual(['lstm_1/kernel', 'lstm_1/recurrent_kernel', 'lstm_1/bias', 'td/kernel', 'td/bias'].map((n, i) => (i < 3 ? `${model.layers[0].name}/${n.split('/')[1]}` : n)));
    const x = uniform([2, 3, 2], rng(11));
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    const f64 = new Sequential([new TimeDistributed(new Dense({ units: 2 }), { inputShape: [2, 3] })], { dtype: 'float64' });
    expect((f64.layers[0] as TimeDistributed).layer.dtype).toBe('float64');
    expect(f64.getWeights()[0].dtype).toBe('float64');
  });

  it('the TF.js Layers format: TF.js loads ours and predicts the same, and its own TimeDistributed(Dense) model loads here', async () => {
    setSeed(12);
    const model = new Sequential([new LSTM({ units: 3, inputShape: [4, 2], returnSequences: true }), new TimeDistributed(new Dense({ units: 2, activation: 'sigmoid' }))]);
    const artifacts = toTfjsArtifacts(model);
    const written = (artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers[1];
    expect(written.class_name).toBe('TimeDistributed');
    expect(written.config.layer).toMatchObject({ class_name: 'Dense', config: { units: 2, activation: 'sigmoid', trainable: true, dtype: 'float32' } });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const x = uniform([3, 4, 2], rng(13));
    expectNear(model.predict(x).data, tf.tidy(() => (theirs.predict(tf.tensor(x.data, [3, 4, 2])) as tf.Tensor).dataSync()), 1e-6, 'TF.js loading ours');
    expect(Array.from(fromTfjsArtifacts(artifacts).predict(x).data)).toEqual(Array.from(model.predict(x).data));

    const tfModel = tf.sequential({ layers: [tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'relu' }), inputShape: [5, 2] }), tf.layers.lstm({ units: 2 })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = fromTfjsArtifacts(saved!);
    expect(loaded.layers[0]).toBeInstanceOf(TimeDistributed);
    const x2 = uniform([2, 5, 2], rng(14));
    expectNear(loaded.predict(x2).data, tf.tidy(() => (tfModel.predict(tf.tensor(x2.data, [2, 5, 2])) as tf.Tensor).dataSync()), 1e-6, 'TF.js model loaded here');
  });
});
