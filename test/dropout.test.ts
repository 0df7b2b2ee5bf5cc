/**
 * Dropout (src/layers/dropout.ts), Keras semantics:
 *   1. at inference (the default of forward, and predict / evaluate) the identity, drawing nothing;
 *   2. in training: one draw u of the library's generator per entry, kept where u >= rate, kept
 *      values x · (1 / (1 − rate)) in the layer's dtype, as TF's dropout (checked entry by entry
 *      against the same seeded stream); reproducible by setSeed;
 *   3. backward uses the mask of the last forward (kept between the two, whatever is drawn in
 *      between); gradCheck in float64 with the mask fixed (the layer re-seeded before every forward);
 *   4. the model's training flag: fit / trainOnBatch / computeGradients drop, predict / evaluate do
 *      not (figures equal to the model without the layer), and a step mask passes through;
 *   5. config, save / load in the library's JSON and the TF.js Layers format (TF.js 4.22 loads ours and
 *      predicts the same; a TF.js model with Dropout loads here), summary rows as Keras prints them;
 *   6. bad options and inputs refused by name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dense, Dropout, LSTM, SGD, Sequential, fromTfjsArtifacts, gradCheck, setSeed, tensor, toTfjsArtifacts, type Tensor } from '../src/index.js';
import { randomUniform } from '../src/tensor/random.js';
import { initTf, rng, tf, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

/** A Dropout whose every forward draws the same mask: the library's generator re-seeded first. */
class FixedMaskDropout extends Dropout {
  override forward(x: Tensor, options?: { training?: boolean }): Tensor {
    setSeed(1234);
    return super.forward(x, options);
  }
}

describe('Dropout forward', () => {
  it('is the identity at inference (the default), and draws no random number', () => {
    const x = uniform([3, 4, 5], rng(1));
    const layer = new Dropout({ rate: 0.5 });
    setSeed(9);
    const y = layer.forward(x);
    const next = randomUniform();
    setSeed(9);
    expect(randomUniform()).toBe(next); // nothing was drawn
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    expect(Array.from(layer.forward(x, { training: false }).data)).toEqual(Array.from(x.data));
  });

  it('in training keeps entry n where the n-th draw u >= rate, scaled by float32(1 / (1 - rate)) (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), (seed, rate, b, f) => {
        const x = uniform([b, 3, f], rng(seed));
        const layer = new Dropout({ rate });
        setSeed(seed);
        const y = layer.forward(x, { training: true });
        setSeed(seed);
        const scale = Math.fround(1 / (1 - rate));
        for (let i = 0; i < x.size; i++) {
          const keep = randomUniform() >= rate;
          expect(y.data[i]).toBe(keep ? Math.fround(x.data[i] * scale) : 0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('drops about rate of the entries (20000 entries, within 4 standard deviations), and the same seed gives the same bits', () => {
    const x = tensor(new Float32Array(20000).fill(1), [100, 200]);
    for (const rate of [0.1, 0.5, 0.8]) {
      setSeed(3);
      const a = new Dropout({ rate }).forward(x, { training: true });
      setSeed(3);
      const b = new Dropout({ rate }).forward(x, { training: true });
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      const dropped = Array.from(a.data).filter((v) => v === 0).length / x.size;
      expect(Math.abs(dropped - rate)).toBeLessThan(4 * Math.sqrt((rate * (1 - rate)) / x.size));
      // The expected output is the input: mean within 4 standard deviations of 1.
      const mean = Array.from(a.data).reduce((s, v) => s + v, 0) / x.size;
      expect(Math.abs(mean - 1)).toBeLessThan(4 * Math.sqrt(rate / (1 - rate) / x.size));
    }
  });

  it('rate 0 is the identity in training too', () => {
    const x = uniform([2, 7], rng(2));
    expect(Array.from(new Dropout({ rate: 0 }).forward(x, { training: true }).data)).toEqual(Array.from(x.data));
  });
});

describe('Dropout backward', () => {
  it('uses the mask of the last forward, whatever is drawn between forward and backward', () => {
    const x = uniform([4, 6], rng(3));
    const dy = uniform([4, 6], rng(4));
    const layer = new Dropout({ rate: 0.4, dtype: 'float64' });
    setSeed(5);
    const y = layer.forward(x, { training: true });
    for (let i = 0; i < 100; i++) randomUniform();
    const dx = layer.backward(dy);
    const scale = 1 / 0.6;
    let dropped = 0;
    for (let i = 0; i < x.size; i++) {
      const kept = y.data[i] !== 0;
      if (!kept) dropped++;
      expect(dx.data[i]).toBe(kept ? dy.data[i] * scale : 0);
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(x.size);
  });

  it('after an inference forward, dx = dy', () => {
    const layer = new Dropout({ rate: 0.4 });
    const x = uniform([2, 3], rng(6));
    layer.forward(x);
    const dy = uniform([2, 3], rng(7));
    expect(Array.from(layer.backward(dy).data)).toEqual(Array.from(dy.data));
  });

  it('gradCheck in float64 with the mask fixed: worst relative error < 1e-6 for the input', () => {
    for (const [shape, rate] of [[[3, 5], 0.3], [[2, 4, 3], 0.5], [[1, 2, 2, 3], 0.6]] as const) {
      const layer = new FixedMaskDropout({ rate, dtype: 'float64' });
      const x = uniform([...shape], rng(8)).clone('float64');
      const result = gradCheck({ layer, input: x });
      expect(result.maxRelativeError).toBeLessThan(1e-6);
      // The check is not vacuous: the fixed mask drops some entries and keeps others.
      const y = layer.forward(x, { training: true });
      const zeros = Array.from(y.data).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(0);
      expect(zeros).toBeLessThan(y.size);
    }
  });

  it('refuses backward before forward, and a dy of the wrong shape', () => {
    const layer = new Dropout({ rate: 0.5 });
    expect(() => layer.backward(tensor([[1, 2]]))).toThrow(`Dropout ${layer.name}.backward: call forward before backward`);
    layer.forward(tensor([[1, 2, 3]]));
    expect(() => layer.backward(tensor([[1, 2]]))).toThrow(`Dropout ${layer.name}.backward: dy has shape [1, 2], expected the output shape [1, 3]`);
  });
});

describe('Dropout in a Sequential model: training drops, inference does not', () => {
  const build = (withDropout: boolean, seed = 11) => {
    setSeed(seed);
    const layers = [new Dense({ units: 6, activation: 'tanh', inputShape: [4] }), ...(withDropout ? [new Dropout({ rate: 0.5 })] : []), new Dense({ units: 2 })];
    const model = new Sequential(layers);
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    return model;
  };
  const x = uniform([8, 4], rng(12));
  const y = uniform([8, 2], rng(13));

  it('predict and evaluate equal the model without Dropout, bit for bit', () => {
    const a = build(true);
    const b = build(false);
    expect(Array.from(a.predict(x).data)).toEqual(Array.from(b.predict(x).data));
    expect(a.evaluate(x, y)).toEqual(b.evaluate(x, y));
  });

  it('computeGradients and fit are training passes (as Keras fit): they differ from the model without Dropout, and follow setSeed', () => {
    const a = build(true);
    const b = build(false);
    setSeed(21);
    const ga = a.computeGradients(x, y);
    expect(ga.loss).not.toBe(b.computeGradients(x, y).loss);
    setSeed(21);
    expect(a.computeGradients(x, y)).toEqual(ga);
    // computeGradients = forward with the mask of the same draws, then the loss: the same as the layers by hand.
    setSeed(21);
    const [d1, drop, d2] = a.layers;
    const out = d2.forward(drop.forward(d1.forward(x), { training: true }));
    let sum = 0;
    for (let i = 0; i < out.size; i++) sum += (out.data[i] - y.data[i]) ** 2;
    expect(ga.loss).toBeCloseTo(sum / out.size, 6);

    const runFit = () => {
      const m = build(true);
      setSeed(30);
      m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
      return m.getWeights().map((w) => Array.from(w.data));
    };
    const first = runFit();
    expect(runFit()).toEqual(first);
    const plain = build(false);
    setSeed(30);
    plain.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    expect(plain.getWeights().map((w) => Array.from(w.data))).not.toEqual(first);
  });

  it('passes a step mask on: LSTM(maskValue, returnSequences) → Dropout → Dense scores only the unmasked steps, as without Dropout', () => {
    const make = (withDropout: boolean) => {
      setSeed(40);
      const m = new Sequential([
        new LSTM({ units: 3, inputShape: [4, 2], returnSequences: true, maskValue: 0 }),
        ...(withDropout ? [new Dropout({ rate: 0.3 })] : []),
        new Dense({ units: 1 }),
      ]);
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      return m;
    };
    const xs = tensor([[[0, 0], [0, 0], [1, 2], [0.5, -1]], [[0.3, 0.1], [0, 0], [-1, 1], [2, 0]]]);
    const ys = tensor([[[9], [9], [0.1], [0.2]], [[0.3], [9], [-0.1], [0.4]]]);
    const withDrop = make(true).evaluate(xs, ys);
    expect(withDrop).toEqual(make(false).evaluate(xs, ys));
    // The targets 9 of the masked steps would dominate an unmasked mean.
    expect(withDrop.loss).toBeLessThan(2);
  });

  it('summary: a Dropout row with the input shape and 0 parameters', () => {
    const text = build(true).summary(null);
    expect(text).toMatch(/dropout_\d+ \(Dropout\) +\(None, 6\) +0\n/);
  });
});

describe('Dropout save / load', () => {
  it('getConfig and the library JSON round trip (weights and predictions bit for bit)', () => {
    setSeed(50);
    const model = new Sequential([new Dense({ units: 3, inputShape: [2] }), new Dropout({ rate: 0.25, name: 'drop' }), new Dense({ units: 1 })]);
    expect(model.layers[1].getConfig()).toEqual({ className: 'Dropout', config: { name: 'drop', rate: 0.25, dtype: 'float32', batchInputShape: null } });
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(back.layers[1]).toBeInstanceOf(Dropout);
    expect((back.layers[1] as Dropout).rate).toBe(0.25);
    const x = uniform([5, 2], rng(51));
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it('TF.js 4.22 loads our model (Dropout written as Keras writes it) and predicts the same; TF.js\' own model with Dropout loads here', async () => {
    setSeed(52);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dropout({ rate: 0.2 }), new Dense({ units: 2, activation: 'softmax' })]);
    const artifacts = toTfjsArtifacts(model);
    const written = (artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers[1];
    expect(written).toEqual({ class_name: 'Dropout', config: { name: model.layers[1].name, trainable: true, dtype: 'float32', rate: 0.2, noise_shape: null, seed: null } });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const x = uniform([3, 3, 2], rng(53));
    const expected = tf.tidy(() => (theirs.predict(tf.tensor(x.data, [3, 3, 2])) as tf.Tensor).dataSync());
    const ours = model.predict(x).data;
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - expected[i])).toBeLessThan(1e-6);

    const tfModel = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] }), tf.layers.dropout({ rate: 0.35 }), tf.layers.dense({ units: 1 })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = fromTfjsArtifacts(saved!);
    expect(loaded.layers[1]).toBeInstanceOf(Dropout);
    expect((loaded.layers[1] as Dropout).rate).toBe(0.35);
    const x2 = uniform([4, 4], rng(54));
    const tfOut = tf.tidy(() => (tfModel.predict(tf.tensor(x2.data, [4, 4])) as tf.Tensor).dataSync());
    const out = loaded.predict(x2).data;
    for (let i = 0; i < out.length; i++) expect(Math.abs(out[i] - tfOut[i])).toBeLessThan(1e-6);
  });

  it('a TF.js / Keras Dropout with a noise_shape is refused by name', () => {
    setSeed(55);
    const model = new Sequential([new Dense({ units: 3, inputShape: [2] }), new Dropout({ rate: 0.5 })]);
    const artifacts = toTfjsArtifacts(model);
    (artifacts.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[1].config.noise_shape = [null, 1];
    expect(() => fromTfjsArtifacts(artifacts)).toThrow(/noise_shape is \[null,1\]; lstm-ts supports only null \(a noise_shape/);
  });
});

describe('Dropout refuses bad options and inputs by name', () => {
  it.each([[-0.1], [1], [1.5], [Number.NaN], ['0.5']])('rate %s', (rate) => {
    expect(() => new Dropout({ rate: rate as number, name: 'd' })).toThrow(/^Dropout d: rate: expected a number in \[0, 1\) \(the fraction of the inputs to drop\), got /);
  });

  it('unknown options, a rank-1 input, non-finite input, a bad training flag', () => {
    expect(() => new Dropout({ rate: 0.5, noiseShape: [1] } as never)).toThrow("Dropout: unknown option 'noiseShape'");
    const layer = new Dropout({ rate: 0.5, name: 'd2' });
    expect(() => layer.forward(tensor([1, 2]))).toThrow('Dropout d2: input x must have rank 2 or more ([batch, ...]), got shape [2]');
    expect(() => layer.forward(tensor([[1, Number.NaN]]))).toThrow(/Dropout d2: input x/);
    expect(() => layer.forward(tensor([[1, 2]]), { training: 1 as never })).toThrow('Dropout d2.forward: options.training: expected true or false, got 1');
  });
});
