/**
 * The regression losses beside MSE: mean absolute error, Huber (delta 1), mean absolute
 * percentage error and log-cosh, as Keras 3.15 defines them (keras/src/losses/losses.py: the
 * mean over the last axis, then over the rows). Hand-worked values (arithmetic in comments, the
 * Keras docstrings' values where they give one), gradients against central finite differences in
 * float64 away from the kinks, the names Keras reads, and the bad-input errors. Keras' own figures
 * on random data, masked sequences and fit's metrics: test/keras-regression.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LOSS_NAMES, getLoss, huber, logCosh, meanAbsoluteError, meanAbsolutePercentageError, type Loss, type LossResult } from '../src/losses/index.js';
import * as api from '../src/index.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { mulberry32 } from './helpers/random.js';

const f64 = (values: number[], shape: number[]): Tensor => tensor(Float64Array.from(values), shape);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 14): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

/** Worst relative error of the analytic gradient against the fourth-order central difference (as test/losses.test.ts). */
function worstGradientError(fn: (x: Tensor) => LossResult, x: Tensor, h = 1e-4): number {
  const analytic = fn(x).grad.data;
  const probe = x.clone();
  const at = (i: number, value: number): number => {
    probe.data[i] = value;
    return fn(probe).loss;
  };
  let worst = 0;
  for (let i = 0; i < probe.size; i++) {
    const saved = probe.data[i];
    const numeric = (-at(i, saved + 2 * h) + 8 * at(i, saved + h) - 8 * at(i, saved - h) + at(i, saved - 2 * h)) / (12 * h);
    probe.data[i] = saved;
    const a = analytic[i];
    worst = Math.max(worst, Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), 1e-3));
  }
  return worst;
}

describe('hand-worked values and gradients', () => {
  it('meanAbsoluteError: mean of |p - t| over every element; gradient sign(p - t) / N, 0 where p = t', () => {
    // |0.2 - 0| + |0.7 - 1| + |1.5 - 1| + |-0.5 - 0| + |2 - 2| = 0.2 + 0.3 + 0.5 + 0.5 + 0 = 1.5, over 6 elements
    const r = meanAbsoluteError.compute(f64([0.2, 0.7, 1.5, -0.5, 2, 3], [2, 3]), f64([0, 1, 1, 0, 2, 3.5], [2, 3]));
    expect(r.loss).toBeCloseTo((1.5 + 0.5) / 6, 15);
    expectClose(r.grad.data, [1 / 6, -1 / 6, 1 / 6, -1 / 6, 0, -1 / 6]);
    expect(r.grad.shape).toEqual([2, 3]);
  });

  it("huber: Keras' docstring value 0.155, the linear branch beyond delta 1, gradient e / N or sign(e) / N", () => {
    // Keras: huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) = 0.155: ½(0.36 + 0.36 + 0.16 + 0.36) / 4
    const doc = huber.compute(f64([0.6, 0.4, 0.4, 0.6], [2, 2]), f64([0, 1, 0, 0], [2, 2]));
    expect(doc.loss).toBeCloseTo(0.155, 15);
    expectClose(doc.grad.data, [0.6 / 4, -0.6 / 4, 0.4 / 4, 0.6 / 4]);
    // e = 3: 1·3 - ½ = 2.5; e = -0.5: ½·0.25 = 0.125; e = -2: 2 - ½ = 1.5; e = 1 (the boundary, quadratic): ½
    const r = huber.compute(f64([3, -0.5, -2, 1], [1, 4]), f64([0, 0, 0, 0], [1, 4]));
    expect(r.loss).toBeCloseTo((2.5 + 0.125 + 1.5 + 0.5) / 4, 15);
    expectClose(r.grad.data, [0.25, -0.125, -0.25, 0.25]);
  });

  it('meanAbsolutePercentageError: 100 · mean of |t - p| / max(|t|, 1e-7); a zero target divides by 1e-7', () => {
    // |2 - 1| / 2 = 0.5, |-4 + 5| / 4 = 0.25: 100 · 0.75 / 2 = 37.5
    const r = meanAbsolutePercentageError.compute(f64([1, -5], [1, 2]), f64([2, -4], [1, 2]));
    expect(r.loss).toBeCloseTo(37.5, 12);
    expectClose(r.grad.data, [-100 / 2 / 2, -100 / 2 / 4], 12); // sign(p - t) · 100 / (N |t|)
    // t = 0, p = 2e-7: 100 · 2e-7 / 1e-7 = 200 (Keras' epsilon clipping, no division by zero)
    const zero = meanAbsolutePercentageError.compute(f64([2e-7], [1, 1]), f64([0], [1, 1]));
    expect(zero.loss).toBeCloseTo(200, 9);
    expect(zero.grad.data[0]).toBeCloseTo(100 / 1e-7, 3);
  });

  it("logCosh: Keras' docstring value 0.108, log cosh of a large error without overflow, gradient tanh(x) / N", () => {
    // Keras: log_cosh([[0, 1], [0, 0]], [[1, 1], [0, 0]]) = log(cosh 1) / 4 = 0.43378083048302705 / 4 ≈ 0.108
    const doc = logCosh.compute(f64([1, 1, 0, 0], [2, 2]), f64([0, 1, 0, 0], [2, 2]));
    expect(doc.loss).toBeCloseTo(Math.log(Math.cosh(1)) / 4, 15);
    expect(doc.loss).toBeCloseTo(0.108, 3);
    expectClose(doc.grad.data, [Math.tanh(1) / 4, 0, 0, 0]);
    // cosh(1000) overflows float64; log cosh 1000 = 1000 - log 2 (to the last bit: e^-2000 is 0)
    const big = logCosh.compute(f64([1000, -1000], [2, 1]), f64([0, 0], [2, 1]));
    expect(big.loss).toBe(1000 - Math.LN2);
    expectClose(big.grad.data, [0.5, -0.5]);
  });

  it('float32 predictions give float32 gradients; the loss is accumulated in float64', () => {
    for (const loss of [meanAbsoluteError, huber, meanAbsolutePercentageError, logCosh]) {
      const r = loss.compute(tensor([[0.25, 2]]), tensor([[1, -1]]));
      expect(r.grad.dtype, loss.name).toBe('float32');
      expect(Number.isFinite(r.loss)).toBe(true);
    }
  });
});

describe('gradients against central differences (float64, away from the kinks)', () => {
  const losses: [Loss, (e: number, t: number) => boolean][] = [
    [meanAbsoluteError, (e) => Math.abs(e) > 1e-3], // the kink at p = t
    [huber, (e) => Math.abs(Math.abs(e) - 1) > 1e-3], // C¹ at |e| = 1, the second derivative jumps there
    [meanAbsolutePercentageError, (e) => Math.abs(e) > 1e-3],
    [logCosh, () => true], // smooth everywhere
  ];
  for (const [loss, away] of losses) {
    it(`${loss.name}: worst relative error < 1e-6 on random [B, C] and [B, T, C]`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1e9 }), (b, t, c, seed) => {
          const next = mulberry32(seed);
          const shape = seed % 2 === 0 ? [b, c] : [b, t, c];
          const n = shape.reduce((x, y) => x * y, 1);
          const target = Float64Array.from({ length: n }, () => 6 * next() - 3);
          const pred = target.map((v) => {
            let p = v + 6 * next() - 3;
            while (!away(p - v, v)) p += 0.01;
            return p;
          });
          const yTrue = f64(Array.from(target), shape);
          expect(worstGradientError((x) => loss.compute(x, yTrue), f64(Array.from(pred), shape))).toBeLessThan(1e-6);
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('names and exports', () => {
  it("each under its camelCase name, Keras' function and class names and its short aliases; exported from the package", () => {
    const names: [string, Loss][] = [
      ['meanAbsoluteError', meanAbsoluteError], ['mean_absolute_error', meanAbsoluteError], ['mae', meanAbsoluteError], ['MAE', meanAbsoluteError], ['MeanAbsoluteError', meanAbsoluteError],
      ['huber', huber], ['Huber', huber],
      ['meanAbsolutePercentageError', meanAbsolutePercentageError], ['mean_absolute_percentage_error', meanAbsolutePercentageError], ['mape', meanAbsolutePercentageError], ['MAPE', meanAbsolutePercentageError], ['MeanAbsolutePercentageError', meanAbsolutePercentageError],
      ['logCosh', logCosh], ['log_cosh', logCosh], ['logcosh', logCosh], ['LogCosh', logCosh],
    ];
    for (const [name, loss] of names) {
      expect(getLoss(name), name).toBe(loss);
      expect(LOSS_NAMES).toContain(name);
    }
    expect([meanAbsoluteError, huber, meanAbsolutePercentageError, logCosh].map((l) => l.kerasName)).toEqual(['mean_absolute_error', 'huber', 'mean_absolute_percentage_error', 'log_cosh']);
    expect(api.meanAbsoluteError).toBe(meanAbsoluteError);
    expect(api.huber).toBe(huber);
    expect(api.meanAbsolutePercentageError).toBe(meanAbsolutePercentageError);
    expect(api.logCosh).toBe(logCosh);
    expect(getLoss('MSE')).toBe(api.meanSquaredError);
    expect(() => getLoss('log_cosh_error')).toThrow(/unknown loss "log_cosh_error".*'logCosh', 'log_cosh', 'logcosh'/);
  });
});

describe('bad input', () => {
  for (const loss of [meanAbsoluteError, huber, meanAbsolutePercentageError, logCosh]) {
    it(`${loss.name}: targets of another shape, or non-finite, are refused naming yTrue`, () => {
      const p = tensor([[0.5, 0.5]]);
      expect(() => loss.compute(p, tensor([[1, 0, 0]]))).toThrow('yTrue: expected targets of shape [1, 2] (the predictions\' shape), got [1, 3]');
      expect(() => loss.compute(p, tensor([[1, Number.NaN]]))).toThrow(/yTrue.*NaN/);
      expect(() => loss.compute([[0.5]] as never, tensor([[1]]))).toThrow(/yPred: expected a Tensor/);
    });
  }
});
