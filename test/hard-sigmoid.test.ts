/**
 * The two hard sigmoids, under names that cannot be confused (issue #25):
 *   'hardSigmoid'        Keras 2's and TF.js' clip(0.2·x + 0.5, 0, 1)     slope 0.2 inside
 *   'hardSigmoidKeras3'  Keras 3's relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1)  slope 1/6 inside
 * Values and derivatives worked by hand; the names through Dense, LSTM, getConfig and the model's
 * own JSON; finite-difference gradient checks in float64 with gates and outputs on both clamps;
 * and which one a file's 'hard_sigmoid' means, by the Keras version that wrote it. Keras 3 itself
 * is compared in test/keras-reference.test.ts (an LSTM with recurrent_activation='hard_sigmoid').
 */
import { describe, expect, it } from 'vitest';
import { Dense, LSTM, Sequential, SGD, gradCheck, setSeed, tensor } from '../src/index.js';
import { gradCheckLayer } from '../src/check/gradcheck.js';
import { hardSigmoidNameFor } from '../src/layers/activations.js';
import { activate, activationBackward, derivativeFromOutput, hardSigmoid, hardSigmoidKeras3 } from '../src/tensor/elementwise.js';
import { randomNormal } from '../src/tensor/random.js';

describe("Keras 3's hard sigmoid, relu6(x + 3) / 6", () => {
  it('values worked by hand, beside Keras 2\'s', () => {
    // x:           -4   -3   -1.5   0    1.5   3   4
    // (x + 3) / 6:  <0    0   0.25  0.5  0.75  1   >1  (clamped to [0, 1])
    expect([-4, -3, -1.5, 0, 1.5, 3, 4].map(hardSigmoidKeras3)).toEqual([0, 0, 0.25, 0.5, 0.75, 1, 1]);
    // Keras 2: 0.2·x + 0.5 = 0.2 at -1.5, 0.8 at 1.5, clamped beyond ±2.5
    expect([-4, -3, -1.5, 0, 1.5, 3, 4].map(hardSigmoid)).toEqual([0, 0, 0.2 * -1.5 + 0.5, 0.5, 0.2 * 1.5 + 0.5, 1, 1]);
    // Keras' order of operations: (x + 3) / 6, not x/6 + 0.5 (they differ in the last bit for some x)
    expect(hardSigmoidKeras3(0.1)).toBe((0.1 + 3) / 6);
  });

  it('derivative from the output: 1/6 strictly inside (0, 1), 0 on both clamps', () => {
    expect([0, 1e-12, 0.25, 0.5, 1 - 1e-12, 1].map((y) => derivativeFromOutput('hardSigmoidKeras3', y))).toEqual([0, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 0]);
    expect(derivativeFromOutput('hardSigmoid', 0.5)).toBe(0.2);
    const x = Float64Array.from([-4, -1.5, 0, 2.9, 3, 5]);
    const y = new Float64Array(6);
    activate('hardSigmoidKeras3', x, y, 0, 6);
    expect(Array.from(y)).toEqual([0, 0.25, 0.5, 5.9 / 6, 1, 1]);
    const dx = new Float64Array(6);
    activationBackward('hardSigmoidKeras3', y, Float64Array.from([6, 6, 12, 6, 6, 6]), dx, 0, 6);
    expect(Array.from(dx)).toEqual([0, 1, 2, 1, 0, 0]); // dy / 6 inside, 0 at the clamps
  });

  it("Dense: activation 'hardSigmoidKeras3' worked by hand, kept by name in getConfig; 'hard_sigmoid' stays Keras 2's", () => {
    // W = [[1, 0], [0, 1], [1, -1]], b = [0.5, -0.5], x = [1, 2, 3]: z = [4.5, -1.5]
    const out = (activation: 'hardSigmoidKeras3' | 'hard_sigmoid'): number[] => {
      const dense = new Dense({ units: 2, activation, dtype: 'float64' });
      dense.build([null, 3]);
      dense.setWeights([[[1, 0], [0, 1], [1, -1]], [0.5, -0.5]]);
      return Array.from(dense.forward(tensor([[1, 2, 3]], undefined, 'float64')).data);
    };
    expect(out('hardSigmoidKeras3')).toEqual([1, 0.25]); // (4.5 + 3)/6 > 1 → 1; (-1.5 + 3)/6 = 0.25
    expect(out('hard_sigmoid')).toEqual([1, 0.2 * -1.5 + 0.5]); // clip(0.2·-1.5 + 0.5) = 0.2 (in float64)
    expect(new Dense({ units: 2, activation: 'hardSigmoidKeras3' }).getConfig().config.activation).toBe('hardSigmoidKeras3');
    expect(new Dense({ units: 2, activation: 'hard_sigmoid' }).getConfig().config.activation).toBe('hardSigmoid');
  });

  it("LSTM: recurrentActivation 'hardSigmoidKeras3' is accepted, kept in getConfig, and named in the error for unknown names", () => {
    expect(new LSTM({ units: 2, recurrentActivation: 'hardSigmoidKeras3' }).recurrentActivation).toBe('hardSigmoidKeras3');
    expect(new LSTM({ units: 2, recurrentActivation: 'hardSigmoidKeras3' }).getConfig().config.recurrentActivation).toBe('hardSigmoidKeras3');
    expect(() => new LSTM({ units: 2, name: 'g', recurrentActivation: 'hard_sigmoid_v3' as never })).toThrow(
      `LSTM g: recurrentActivation: unknown activation "hard_sigmoid_v3"; expected one of 'sigmoid', 'hardSigmoid', 'hardSigmoidKeras3'`,
    );
  });

  it('the model JSON keeps the name: a saved model predicts bit for bit the same after loading, and not what Keras 2\'s form predicts', () => {
    setSeed(3);
    const make = (rec: 'hardSigmoidKeras3' | 'hardSigmoid'): Sequential => new Sequential([
      new LSTM({ units: 3, recurrentActivation: rec, inputShape: [4, 2] }),
      new Dense({ units: 2, activation: 'hardSigmoidKeras3' }),
    ]);
    const model = make('hardSigmoidKeras3');
    const x = tensor(Array.from({ length: 3 * 4 * 2 }, (_, i) => Math.sin(i) * 3), [3, 4, 2]);
    const before = model.predict(x);
    const loaded = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect((loaded.layers[0] as LSTM).recurrentActivation).toBe('hardSigmoidKeras3');
    expect((loaded.layers[1] as Dense).activation).toBe('hardSigmoidKeras3');
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(before.data));
    const keras2 = make('hardSigmoid');
    keras2.setWeights(model.getWeights());
    const gap = Math.max(...Array.from(keras2.predict(x).data, (v, i) => Math.abs(v - before.data[i])));
    expect(gap).toBeGreaterThan(1e-3);
  });
});

describe("gradients through Keras 3's hard sigmoid (float64 finite differences)", () => {
  /** x with normal entries of standard deviation `scale` (fixed seeds; none of them puts a z within 1e-5 of a kink, or the checks would fail). */
  const input = (shape: number[], scale: number) => tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * randomNormal()), shape, 'float64');

  it('an LSTM with hardSigmoidKeras3 gates (T = 4, inputs large enough to clamp some gates): every weight and input entry', () => {
    for (const seed of [1, 2, 3]) {
      setSeed(seed);
      const lstm = new LSTM({ units: 3, recurrentActivation: 'hardSigmoidKeras3', returnSequences: true, dtype: 'float64' });
      const x = input([2, 4, 3], 3);
      lstm.build([null, 4, 3]);
      const result = gradCheckLayer({ layer: lstm, input: x }, { seed });
      expect(result.maxRelativeError, `seed ${seed}`).toBeLessThan(1e-6);
      expect(result.entriesChecked).toBe(x.size + lstm.countParams());
      // The gates reach the clamps: with the kernel alone, some z = x_0·W + b of the first step lie beyond ±3.
      const [W, , b] = lstm.getWeights();
      const z: number[] = [];
      for (let s = 0; s < 2; s++) for (let k = 0; k < 12; k++) {
        let v = b.data[k];
        for (let i = 0; i < 3; i++) v += x.data[s * 12 + i] * W.data[i * 12 + k];
        if (Math.floor(k / 3) !== 2) z.push(v); // gates i, f, o
      }
      expect(z.some((v) => Math.abs(v) > 3), `seed ${seed}: a clamped gate`).toBe(true);
      expect(z.some((v) => Math.abs(v) < 3), `seed ${seed}: a gate on the slope`).toBe(true);
    }
  });

  it("a Dense with 'hardSigmoidKeras3' whose outputs sit on both clamps and between", () => {
    setSeed(4);
    const dense = new Dense({ units: 4, activation: 'hardSigmoidKeras3', dtype: 'float64' });
    const x = input([6, 3], 4);
    dense.build([null, 3]);
    const y = dense.forward(x).data;
    expect(Array.from(y).filter((v) => v === 0).length).toBeGreaterThan(0);
    expect(Array.from(y).filter((v) => v === 1).length).toBeGreaterThan(0);
    expect(Array.from(y).filter((v) => v > 0 && v < 1).length).toBeGreaterThan(4);
    const result = gradCheckLayer({ layer: dense, input: x }, { seed: 4 });
    expect(result.maxRelativeError).toBeLessThan(1e-6);
  });

  it('a compiled model through gradCheck, the public API', () => {
    setSeed(5);
    const model = new Sequential([
      new LSTM({ units: 3, recurrentActivation: 'hardSigmoidKeras3', inputShape: [3, 2] }),
      new Dense({ units: 2, activation: 'softmax' }),
    ], { dtype: 'float64' });
    model.compile({ optimizer: new SGD(), loss: 'categoricalCrossentropy' });
    const x = input([4, 3, 2], 3);
    const y = tensor([[1, 0], [0, 1], [0, 1], [1, 0]], undefined, 'float64');
    expect(gradCheck({ model, x, y }).maxRelativeError).toBeLessThan(1e-6);
  });
});

describe("which hard sigmoid a file's 'hard_sigmoid' means: hardSigmoidNameFor(kerasVersion)", () => {
  it.each([
    ['3.15.1', 'hardSigmoidKeras3'],
    ['3.0.0', 'hardSigmoidKeras3'],
    ['keras 3.3.3', 'hardSigmoidKeras3'],
    ['keras v3.15.1', 'hardSigmoidKeras3'],
    ['2.15.0', 'hardSigmoid'],
    ['2.1.6-tf', 'hardSigmoid'],
    ['tfjs-layers 4.22.0', 'hardSigmoid'],
    ['lstm-ts 0.1.0', 'hardSigmoid'],
    ['30.1', 'hardSigmoid'],
    [undefined, 'hardSigmoid'],
    [null, 'hardSigmoid'],
    [3, 'hardSigmoid'],
  ])('%j → %s', (version, name) => {
    expect(hardSigmoidNameFor(version)).toBe(name);
  });
});
