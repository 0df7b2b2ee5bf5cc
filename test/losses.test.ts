/**
 * Losses: golden values (hand arithmetic in comments, Keras docstring values where they exist),
 * gradients against central finite differences in float64, fused forms against the unfused
 * composition, Keras clipping, and every error path.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EPSILON,
  LOSS_NAMES,
  binaryCrossentropy,
  categoricalCrossentropy,
  getLoss,
  meanSquaredError,
  meanAbsoluteError,
  huber,
  meanAbsolutePercentageError,
  logCosh,
  sigmoidBinaryCrossentropy,
  softmaxCategoricalCrossentropy,
  softmaxSparseCategoricalCrossentropy,
  sparseCategoricalCrossentropy,
  type Loss,
  type LossResult,
} from '../src/losses/index.js';
import { sigmoid, softmaxRows, softmaxRowsBackward } from '../src/tensor/elementwise.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { mulberry32 } from './helpers/random.js';
import { kernelOf } from '../src/losses/loss.js';

const f64 = (values: number[], shape: number[]): Tensor => tensor(Float64Array.from(values), shape);
const nested64 = (values: Parameters<typeof tensor>[0]): Tensor => tensor(values, undefined, 'float64');
const LOG_EPS = -Math.log(1e-7); // 16.11809565095832, the cost of a prediction clipped to ε

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

/** Seeded test data (mulberry32). */
function rng(seed: number): () => number {
  return mulberry32(seed);
}

/**
 * Worst |a - n| / max(|a|, |n|, 1e-3) of the analytic gradient against central differences,
 * using the fourth-order central stencil n = (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h:
 * its O(h⁴) truncation error leaves rounding (~1e-11 here) as the only noise, so the 1e-6 bound
 * has a wide margin even where log terms curve sharply.
 */
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

/** Prediction shapes [B, C] or [B, T, C]: batch 1-4, optional time 1-3, classes 1-7. */
const shapeArb = fc
  .record({ batch: fc.integer({ min: 1, max: 4 }), time: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), classes: fc.integer({ min: 1, max: 7 }) })
  .map(({ batch, time, classes }) => (time === undefined ? [batch, classes] : [batch, time, classes]));
const caseArb = fc.record({ shape: shapeArb, seed: fc.integer({ min: 0, max: 0x7fffffff }) });

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Random rows of probabilities summing to 1 (soft targets). */
function softTargets(shape: number[], next: () => number): Tensor {
  const c = shape[shape.length - 1];
  const data = new Float64Array(sizeOf(shape));
  for (let base = 0; base < data.length; base += c) {
    let sum = 0;
    for (let j = 0; j < c; j++) sum += data[base + j] = 0.05 + next();
    for (let j = 0; j < c; j++) data[base + j] /= sum;
  }
  return new Tensor(data, shape);
}

function uniform(shape: number[], next: () => number, low: number, high: number): Tensor {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * next();
  return new Tensor(data, shape);
}

function classIndices(shape: number[], next: () => number, trailingOne: boolean): Tensor {
  const c = shape[shape.length - 1];
  const lead = shape.slice(0, -1);
  const data = new Float64Array(sizeOf(lead));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * c);
  return new Tensor(data, trailingOne ? [...lead, 1] : lead);
}

describe('categoricalCrossentropy', () => {
  it('matches the Keras docstring example (1.1769392)', () => {
    // keras.metrics.CategoricalCrossentropy docstring: y_true [[0,1,0],[0,0,1]],
    // y_pred [[0.05,0.95,0],[0.1,0.8,0.1]] -> 1.1769392 (float32).
    // Row 1: S = 1, q = [0.05, 0.95, clip(0) = 1e-7]; ℓ = -log 0.95 = 0.0512932944
    // Row 2: S = 1; ℓ = -log 0.1 = 2.302585093
    // L = (0.0512932944 + 2.302585093) / 2 = 1.1769391937
    const { loss } = categoricalCrossentropy.compute(nested64([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), nested64([[0, 1, 0], [0, 0, 1]]));
    expect(loss).toBeCloseTo(1.176939193690798, 12);
    expect(loss).toBeCloseTo(1.1769392, 6);
  });

  it('renormalises prediction rows as Keras does (tf.keras.backend docstring: [0.10536055, 0.8046684, 0.06187541])', () => {
    // tf.keras.backend.categorical_crossentropy(eye(3), [[.9,.05,.05],[.5,.89,.6],[.05,.01,.94]])
    // Row 2 sums to S = 1.99, so q = 0.89 / 1.99 and ℓ = log 1.99 - log 0.89 = 0.6881346 + 0.1165338 = 0.8046685.
    const rows = [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]];
    const eye = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const expected = [-Math.log(0.9), Math.log(1.99) - Math.log(0.89), -Math.log(0.94)];
    const keras = [0.10536055, 0.8046684, 0.06187541];
    rows.forEach((row, r) => {
      const { loss } = categoricalCrossentropy.compute(nested64([row]), nested64([eye[r]]));
      expect(loss).toBeCloseTo(expected[r], 12);
      expect(loss).toBeCloseTo(keras[r], 6);
    });
  });

  it('has the hand-computed gradient', () => {
    // p = [0.2, 0.8], t = [0, 1], R = 1, S = 1: g = -t/q = [0, -1.25]; Σ g p / S = -1
    // ∂L/∂p = (g - (-1)) / S = [1, -0.25]
    const { loss, grad } = categoricalCrossentropy.compute(nested64([[0.2, 0.8]]), nested64([[0, 1]]));
    expect(loss).toBeCloseTo(-Math.log(0.8), 14);
    expectClose(grad.data, [1, -0.25], 14);
  });

  it('takes soft targets and averages over samples and time steps', () => {
    // Soft: t = [0.25, 0.75], p = [0.5, 0.5]: ℓ = -(0.25 + 0.75) log 0.5 = log 2
    expect(categoricalCrossentropy.compute(nested64([[0.5, 0.5]]), nested64([[0.25, 0.75]])).loss).toBeCloseTo(Math.LN2, 14);
    // [B=1, T=2, C=2]: ℓ(t=0) = -log 0.5 = 0.693147, ℓ(t=1) = -log 0.9 = 0.105361; L = mean = 0.3992538
    const { loss, grad } = categoricalCrossentropy.compute(nested64([[[0.5, 0.5], [0.9, 0.1]]]), nested64([[[1, 0], [1, 0]]]));
    expect(loss).toBeCloseTo(0.39925384810888576, 14);
    expect(grad.shape).toEqual([1, 2, 2]);
  });

  it('clips as Keras does: a predicted 0 costs -log(1e-7)·t and passes no gradient', () => {
    // p = [0, 1], t = [1, 0]: q = clip([0, 1]) = [1e-7, 1 - 1e-7]; ℓ = -1·log(1e-7) = 16.118; both entries clipped → grad 0
    const { loss, grad } = categoricalCrossentropy.compute(nested64([[0, 1]]), nested64([[1, 0]]));
    expect(loss).toBeCloseTo(LOG_EPS, 12);
    expectClose(grad.data, [0, 0], 14);
    // Soft target on the zero: t = [0.5, 0.5] → ℓ = -0.5 log(1e-7) - 0.5 log(1 - 1e-7)
    const soft = categoricalCrossentropy.compute(nested64([[0, 1]]), nested64([[0.5, 0.5]])).loss;
    expect(soft).toBeCloseTo(0.5 * LOG_EPS - 0.5 * Math.log(1 - EPSILON), 12);
    expect(Number.isFinite(categoricalCrossentropy.compute(nested64([[0, 0]]), nested64([[1, 0]])).loss)).toBe(true);
  });

  it('writes the gradient in the predictions dtype', () => {
    const r = categoricalCrossentropy.compute(tensor([[0.2, 0.8]]), nested64([[0, 1]]));
    expect(r.grad.dtype).toBe('float32');
    expectClose(r.grad.data, [1, -0.25], 6);
  });

  it('gradient matches central differences (float64, random shapes, unnormalised rows)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, seed }) => {
        const next = rng(seed);
        const p = uniform(shape, next, 0.1, 1); // rows need not sum to 1: exercises the renormalisation
        const t = softTargets(shape, next);
        expect(worstGradientError((x) => categoricalCrossentropy.compute(x, t), p)).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });
});

describe('sparseCategoricalCrossentropy', () => {
  it('matches the Keras docstring example with [B] and [B, 1] targets', () => {
    // keras.losses.SparseCategoricalCrossentropy docstring: y_true [1, 2], y_pred [[0.05,0.95,0],[0.1,0.8,0.1]] -> 1.177
    // Row 1: c = clip(p) = [0.05, 0.95, 1e-7], S = 1 + 1e-7; ℓ = log S - log 0.95 = 1e-7 + 0.0512932944
    // Row 2: c = p, S = 1;  ℓ = -log 0.1 = 2.302585093
    // L = (0.0512933944 + 2.302585093) / 2 = 1.1769392437
    const p = nested64([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
    const expected = (Math.log(1 + 1e-7) - Math.log(0.95) - Math.log(0.1)) / 2;
    expect(sparseCategoricalCrossentropy.compute(p, f64([1, 2], [2])).loss).toBeCloseTo(expected, 14);
    expect(sparseCategoricalCrossentropy.compute(p, f64([1, 2], [2, 1])).loss).toBeCloseTo(expected, 14);
    expect(expected).toBeCloseTo(1.177, 3);
  });

  it('has the hand-computed gradient, and equals categorical CE on one-hot targets for softmax rows', () => {
    // p = [0.2, 0.8], k = 1, S = 1: ∂L/∂p = 1/S - δ_jk / p_k = [1, 1 - 1.25] = [1, -0.25]
    const p = nested64([[0.2, 0.8]]);
    const sparse = sparseCategoricalCrossentropy.compute(p, f64([1], [1]));
    expect(sparse.loss).toBeCloseTo(-Math.log(0.8), 14);
    expectClose(sparse.grad.data, [1, -0.25], 14);
    const dense = categoricalCrossentropy.compute(p, nested64([[0, 1]]));
    expect(sparse.loss).toBeCloseTo(dense.loss, 14);
    expectClose(sparse.grad.data, dense.grad.data, 14);
  });

  it('handles sequences: [B, T] and [B, T, 1] targets for [B, T, C] predictions', () => {
    // [1, 2, 2]: step 0 k = 0 on [0.5, 0.5] → log 2; step 1 k = 0 on [0.9, 0.1] → -log 0.9; L = 0.3992538
    const p = nested64([[[0.5, 0.5], [0.9, 0.1]]]);
    expect(sparseCategoricalCrossentropy.compute(p, f64([0, 0], [1, 2])).loss).toBeCloseTo(0.39925384810888576, 14);
    expect(sparseCategoricalCrossentropy.compute(p, f64([0, 0], [1, 2, 1])).loss).toBeCloseTo(0.39925384810888576, 14);
  });

  it('clips as Keras does: a predicted 0 at the target class costs -log(1e-7)', () => {
    // p = [0, 1], k = 0: c = [1e-7, 1 - 1e-7], S = 1; ℓ = -log(1e-7); both clipped → grad 0
    const { loss, grad } = sparseCategoricalCrossentropy.compute(nested64([[0, 1]]), f64([0], [1]));
    expect(loss).toBeCloseTo(LOG_EPS, 12);
    expectClose(grad.data, [0, 0], 14);
  });

  it('gradient matches central differences (float64, random shapes)', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ shape, seed }, trailingOne) => {
        const next = rng(seed);
        const p = uniform(shape, next, 0.1, 0.9);
        const k = classIndices(shape, next, trailingOne);
        expect(worstGradientError((x) => sparseCategoricalCrossentropy.compute(x, k), p)).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });
});

describe('binaryCrossentropy', () => {
  it('matches the hand arithmetic for the Keras docstring example', () => {
    // keras.losses.BinaryCrossentropy docstring: y_true [[0,1],[0,0]], y_pred [[0.6,0.4],[0.4,0.6]] -> 0.815
    // ℓ = [-log 0.4, -log 0.4, -log 0.6, -log 0.4] = [0.9162907, 0.9162907, 0.5108256, 0.9162907]
    // L = (3·0.9162907 + 0.5108256) / 4 = 0.8149245  (tf.keras ≥ 2.3's log(p + ε) gives 0.815 too)
    // ∂L/∂p = (p - t) / (p(1-p)) / 4: p(1-p) = 0.24 everywhere → [0.6, -0.6, 0.4, 0.6] / 0.96
    const { loss, grad } = binaryCrossentropy.compute(nested64([[0.6, 0.4], [0.4, 0.6]]), nested64([[0, 1], [0, 0]]));
    expect(loss).toBeCloseTo(0.814924454847114, 12);
    expect(loss).toBeCloseTo(0.815, 3);
    expectClose(grad.data, [0.625, -0.625, 0.4 / 0.96, 0.625], 12);
  });

  it('averages over the last axis and every time step', () => {
    // [1, 2, 1]: p = 0.5 with t = 1 → log 2; p = 0.9 with t = 0 → -log 0.1 ; L = (0.693147 + 2.302585) / 2
    const { loss } = binaryCrossentropy.compute(nested64([[[0.5], [0.9]]]), nested64([[[1], [0]]]));
    expect(loss).toBeCloseTo((Math.LN2 - Math.log(0.1)) / 2, 12);
  });

  it('clips as Keras does: p = 0 with t = 1 and p = 1 with t = 0 cost -log(1e-7) and pass no gradient', () => {
    // c = clip(0) = 1e-7: ℓ = -1·log(1e-7);  c = clip(1) = 1 - 1e-7: ℓ = -log(1 - (1 - 1e-7)) ≈ -log(1e-7)
    const { loss, grad } = binaryCrossentropy.compute(nested64([[0, 1]]), nested64([[1, 0]]));
    expect(loss).toBeCloseTo(LOG_EPS, 6);
    expectClose(grad.data, [0, 0], 14);
    // A soft target on a clipped prediction: t = 0.5, p = 0 → -(0.5 log 1e-7 + 0.5 log(1 - 1e-7))
    expect(binaryCrossentropy.compute(nested64([[0]]), nested64([[0.5]])).loss).toBeCloseTo(0.5 * LOG_EPS - 0.5 * Math.log(1 - EPSILON), 12);
  });

  it('gradient matches central differences (float64, random shapes, soft targets)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, seed }) => {
        const next = rng(seed);
        const p = uniform(shape, next, 0.05, 0.95);
        const t = uniform(shape, next, 0, 1);
        expect(worstGradientError((x) => binaryCrossentropy.compute(x, t), p)).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });
});

describe('meanSquaredError', () => {
  it('matches the Keras docstring example (0.5) and the hand-computed gradient', () => {
    // keras.losses.MeanSquaredError docstring: y_true [[0,1],[0,0]], y_pred [[1,1],[1,0]] -> 0.5
    // (p - t)² = [1, 0, 1, 0]; L = 2 / 4 = 0.5;  ∂L/∂p = 2 (p - t) / 4 = [0.5, 0, 0.5, 0]
    const { loss, grad } = meanSquaredError.compute(nested64([[1, 1], [1, 0]]), nested64([[0, 1], [0, 0]]));
    expect(loss).toBe(0.5);
    expectClose(grad.data, [0.5, 0, 0.5, 0], 15);
  });

  it('averages over every element of a sequence output', () => {
    // [1, 2, 3]: diffs [1, 2, 3, 0, 0, -1] → squares sum 15; L = 15 / 6 = 2.5
    const { loss } = meanSquaredError.compute(nested64([[[1, 2, 3], [0, 0, -1]]]), nested64([[[0, 0, 0], [0, 0, 0]]]));
    expect(loss).toBe(2.5);
  });

  it('gradient matches central differences (float64, random shapes)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, seed }) => {
        const next = rng(seed);
        const p = uniform(shape, next, -2, 2);
        const t = uniform(shape, next, -2, 2);
        expect(worstGradientError((x) => meanSquaredError.compute(x, t), p)).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });

  it('has no fused form', () => {
    expect(meanSquaredError.fromLogits).toBeUndefined();
  });
});

describe('fused forms on logits', () => {
  it('are offered for the matching activation only', () => {
    expect(categoricalCrossentropy.fromLogits?.('softmax')).toBe(softmaxCategoricalCrossentropy);
    expect(sparseCategoricalCrossentropy.fromLogits?.('softmax')).toBe(softmaxSparseCategoricalCrossentropy);
    expect(binaryCrossentropy.fromLogits?.('sigmoid')).toBe(sigmoidBinaryCrossentropy);
    expect(categoricalCrossentropy.fromLogits?.('sigmoid')).toBeUndefined();
    expect(binaryCrossentropy.fromLogits?.('softmax')).toBeUndefined();
    expect(binaryCrossentropy.fromLogits?.('linear')).toBeUndefined();
  });

  it('softmax + CCE has the hand-computed value and gradient', () => {
    // z = [1, 2, 3], t = [0, 0, 1]: lse = 3 + log(1 + e^-1 + e^-2) = 3.4076060; ℓ = lse - 3 = 0.4076060
    // grad = softmax(z) - t = [0.0900306, 0.2447285, 0.6652410 - 1]
    const { loss, grad } = softmaxCategoricalCrossentropy(nested64([[1, 2, 3]]), nested64([[0, 0, 1]]));
    expect(loss).toBeCloseTo(0.40760596444438013, 14);
    expectClose(grad.data, [0.09003057317038048, 0.2447284710547977, 0.665240955774822 - 1], 14);
    const sparse = softmaxSparseCategoricalCrossentropy(nested64([[1, 2, 3]]), f64([2], [1]));
    expect(sparse.loss).toBeCloseTo(0.40760596444438013, 14);
    expectClose(sparse.grad.data, grad.data, 14);
  });

  it('sigmoid + BCE has the hand-computed value and gradient', () => {
    // z = 0, t = 1: ℓ = max(0,0) - 0 + log(1 + 1) = log 2; grad = σ(0) - 1 = -0.5
    // z = 2, t = 0: ℓ = 2 - 0 + log(1 + e^-2) = 2.1269280; grad = σ(2) = 0.8807971; mean over 2 elements
    const { loss, grad } = sigmoidBinaryCrossentropy(nested64([[0, 2]]), nested64([[1, 0]]));
    expect(loss).toBeCloseTo((Math.LN2 + 2 + Math.log1p(Math.exp(-2))) / 2, 14);
    expectClose(grad.data, [-0.25, 1 / (1 + Math.exp(-2)) / 2], 14);
  });

  it('stay finite and exact for huge logits (±1000), where the unfused path would need log(0)', () => {
    // softmax([1000, -1000]) = [1, 0] exactly in float64; t = [0, 1]: exact ℓ = lse - z_1 = 1000 - (-1000) = 2000
    const z = nested64([[1000, -1000]]);
    const cce = softmaxCategoricalCrossentropy(z, nested64([[0, 1]]));
    expect(cce.loss).toBe(2000);
    expectClose(cce.grad.data, [1, -1], 14);
    const sparse = softmaxSparseCategoricalCrossentropy(z, f64([1], [1]));
    expect(sparse.loss).toBe(2000);
    // The unfused path: the softmax underflows to 0 and only Keras' clip keeps it finite (at the wrong value).
    const probs = new Float64Array(2);
    softmaxRows(z.data, probs, 1, 2);
    expect(probs[1]).toBe(0);
    expect(categoricalCrossentropy.compute(new Tensor(probs, [1, 2]), nested64([[0, 1]])).loss).toBeCloseTo(LOG_EPS, 6);
    // sigmoid: z = 1000, t = 0 → ℓ = 1000;  z = -1000, t = 1 → ℓ = 0 + 1000 + log(1 + e^-1000) = 1000
    const bce = sigmoidBinaryCrossentropy(z, nested64([[0, 1]]));
    expect(bce.loss).toBe(1000);
    expectClose(bce.grad.data, [0.5, -0.5], 14);
    // ... and all correct answers at the other extreme: ℓ = 0 (+ log1p(e^-1000) = 0)
    expect(sigmoidBinaryCrossentropy(z, nested64([[1, 0]])).loss).toBe(0);
    expect(softmaxCategoricalCrossentropy(z, nested64([[1, 0]])).loss).toBe(0);
  });

  it('softmax + CCE equals softmax then CCE (values and gradients through the softmax backward)', () => {
    // C ≥ 2: with one class the softmax is exactly 1, which the unfused path clips to 1 - 1e-7 (ℓ = 1e-7, not 0).
    const atLeastTwoClasses = caseArb.filter(({ shape }) => shape[shape.length - 1] >= 2);
    fc.assert(
      fc.property(atLeastTwoClasses, ({ shape, seed }) => {
        const next = rng(seed);
        const z = uniform(shape, next, -5, 5);
        const t = softTargets(shape, next);
        const c = shape[shape.length - 1];
        const rows = z.size / c;
        const probs = new Float64Array(z.size);
        softmaxRows(z.data, probs, rows, c);
        const unfused = categoricalCrossentropy.compute(new Tensor(probs, shape), t);
        const dz = new Float64Array(z.size);
        softmaxRowsBackward(probs, unfused.grad.data, dz, rows, c);
        const fused = softmaxCategoricalCrossentropy(z, t);
        expect(fused.loss).toBeCloseTo(unfused.loss, 10);
        expectClose(fused.grad.data, dz, 10);
      }),
      { numRuns: 60 },
    );
  });

  it('softmax + sparse CCE equals softmax then sparse CCE', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, seed }) => {
        const next = rng(seed);
        const z = uniform(shape, next, -5, 5);
        const k = classIndices(shape, next, false);
        const c = shape[shape.length - 1];
        const rows = z.size / c;
        const probs = new Float64Array(z.size);
        softmaxRows(z.data, probs, rows, c);
        const unfused = sparseCategoricalCrossentropy.compute(new Tensor(probs, shape), k);
        const dz = new Float64Array(z.size);
        softmaxRowsBackward(probs, unfused.grad.data, dz, rows, c);
        const fused = softmaxSparseCategoricalCrossentropy(z, k);
        expect(fused.loss).toBeCloseTo(unfused.loss, 10);
        expectClose(fused.grad.data, dz, 10);
      }),
      { numRuns: 60 },
    );
  });

  it('sigmoid + BCE equals sigmoid then BCE', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, seed }) => {
        const next = rng(seed);
        const z = uniform(shape, next, -5, 5);
        const t = uniform(shape, next, 0, 1);
        const probs = z.data.map(sigmoid);
        const unfused = binaryCrossentropy.compute(new Tensor(probs, shape), t);
        const dz = unfused.grad.data.map((g, i) => g * probs[i] * (1 - probs[i])); // σ' = σ(1 - σ)
        const fused = sigmoidBinaryCrossentropy(z, t);
        expect(fused.loss).toBeCloseTo(unfused.loss, 10);
        expectClose(fused.grad.data, dz, 10);
      }),
      { numRuns: 60 },
    );
  });

  it('gradients match central differences (float64, random shapes)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, seed }) => {
        const next = rng(seed);
        const z = uniform(shape, next, -4, 4);
        const t = softTargets(shape, next);
        const k = classIndices(shape, next, true);
        const b = uniform(shape, next, 0, 1);
        expect(worstGradientError((x) => softmaxCategoricalCrossentropy(x, t), z)).toBeLessThan(1e-6);
        expect(worstGradientError((x) => softmaxSparseCategoricalCrossentropy(x, k), z)).toBeLessThan(1e-6);
        expect(worstGradientError((x) => sigmoidBinaryCrossentropy(x, b), z)).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });
});

describe('getLoss', () => {
  it('accepts camelCase, Keras snake_case and mse', () => {
    const cases: [string, Loss][] = [
      ['categoricalCrossentropy', categoricalCrossentropy],
      ['categorical_crossentropy', categoricalCrossentropy],
      ['sparseCategoricalCrossentropy', sparseCategoricalCrossentropy],
      ['sparse_categorical_crossentropy', sparseCategoricalCrossentropy],
      ['binaryCrossentropy', binaryCrossentropy],
      ['binary_crossentropy', binaryCrossentropy],
      ['meanSquaredError', meanSquaredError],
      ['mean_squared_error', meanSquaredError],
      ['mse', meanSquaredError],
    ];
    for (const [name, loss] of cases) expect(getLoss(name)).toBe(loss);
    expect(LOSS_NAMES).toHaveLength(27); // with the regression losses' names (their own test below)
  });

  it('passes a Loss object through and rejects unknown names listing the known ones', () => {
    expect(getLoss(binaryCrossentropy)).toBe(binaryCrossentropy);
    expect(() => getLoss('crossentropy')).toThrow(
      `loss: unknown loss "crossentropy"; expected one of 'categoricalCrossentropy', 'categorical_crossentropy', 'sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', 'binaryCrossentropy', 'binary_crossentropy', 'meanSquaredError', 'mean_squared_error', 'mse'`,
    );
    expect(() => getLoss(42 as unknown as string)).toThrow('loss: expected a loss name or an object with name, validateTargets() and compute(), got 42');
  });
});

describe('target validation', () => {
  const p23 = nested64([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]);

  it('rejects shape mismatches, naming the argument, the shape got and the shape expected', () => {
    expect(() => categoricalCrossentropy.validateTargets(nested64([[1, 0], [0, 1]]), [2, 3], 'y')).toThrow(
      "y: expected targets of shape [2, 3] (the predictions' shape), got [2, 2]",
    );
    expect(() => binaryCrossentropy.compute(p23, nested64([[1, 0, 0]]))).toThrow("yTrue: expected targets of shape [2, 3] (the predictions' shape), got [1, 3]");
    expect(() => meanSquaredError.validateTargets(nested64([1, 2]), [2, 1, 1], 'y')).toThrow("y: expected targets of shape [2, 1, 1] (the predictions' shape), got [2]");
  });

  it('points class indices given to categorical CE at the sparse loss', () => {
    expect(() => categoricalCrossentropy.validateTargets(f64([0, 2], [2]), [2, 3], 'y')).toThrow(
      "y: expected targets of shape [2, 3] (the predictions' shape), got [2]; for integer class indices use sparseCategoricalCrossentropy (or one-hot encode them)",
    );
  });

  it('rejects NaN and Infinity in targets with their position', () => {
    for (const loss of [categoricalCrossentropy, binaryCrossentropy, meanSquaredError]) {
      expect(() => loss.validateTargets(nested64([[0, NaN, 1], [1, 0, 0]]), [2, 3], 'y')).toThrow('y: expected finite numbers, got NaN at index [0, 1] of a tensor of shape [2, 3]');
    }
    expect(() => sparseCategoricalCrossentropy.validateTargets(f64([0, Infinity], [2]), [2, 3], 'y')).toThrow('y: expected finite numbers, got Infinity at index [1] of a tensor of shape [2]');
  });

  it('rejects cross-entropy targets that are not probabilities', () => {
    expect(() => binaryCrossentropy.validateTargets(nested64([[0, 1], [2, 0]]), [2, 2], 'y')).toThrow(
      'y: binaryCrossentropy targets must be probabilities in [0, 1], got 2 at index [1, 0]',
    );
    expect(() => binaryCrossentropy.validateTargets(nested64([[-0.5]]), [1, 1], 'y')).toThrow('y: binaryCrossentropy targets must be probabilities in [0, 1], got -0.5 at index [0, 0]');
    expect(() => categoricalCrossentropy.validateTargets(nested64([[1.5, -0.5]]), [1, 2], 'y')).toThrow(
      'y: categoricalCrossentropy targets must be probabilities in [0, 1], got 1.5 at index [0, 0]',
    );
    // MSE targets may be any finite number.
    expect(() => meanSquaredError.validateTargets(nested64([[-3, 7]]), [1, 2], 'y')).not.toThrow();
  });

  it('rejects categorical target rows that do not sum to 1, naming the row and the sum', () => {
    expect(() => categoricalCrossentropy.validateTargets(nested64([[0, 1, 0], [0.5, 0, 0]]), [2, 3], 'y')).toThrow(
      'y: categoricalCrossentropy target rows must be probability distributions summing to 1 (within 0.001); row [1] sums to 0.5',
    );
    expect(() => categoricalCrossentropy.validateTargets(nested64([[[1, 0], [1, 1]]]), [1, 2, 2], 'y')).toThrow(
      'y: categoricalCrossentropy target rows must be probability distributions summing to 1 (within 0.001); row [0, 1] sums to 2',
    );
    // Within the tolerance is accepted (float32 one-hot rows after arithmetic, say).
    expect(() => categoricalCrossentropy.validateTargets(nested64([[0.3333, 0.3333, 0.3333]]), [1, 3], 'y')).not.toThrow();
  });

  it('rejects sparse class indices out of range or not integers, naming the value and the range', () => {
    const message = (k: number, at: string): string =>
      `y: sparseCategoricalCrossentropy targets must be integer class indices in [0, 2] (the predictions have 3 classes), got ${k} at index ${at}`;
    expect(() => sparseCategoricalCrossentropy.validateTargets(f64([0, 3], [2]), [2, 3], 'y')).toThrow(message(3, '[1]'));
    expect(() => sparseCategoricalCrossentropy.validateTargets(f64([-1, 0], [2, 1]), [2, 3], 'y')).toThrow(message(-1, '[0, 0]'));
    expect(() => sparseCategoricalCrossentropy.validateTargets(f64([0, 1.5], [2]), [2, 3], 'y')).toThrow(message(1.5, '[1]'));
    expect(() => sparseCategoricalCrossentropy.compute(p23, f64([0, 3], [2]))).toThrow('yTrue: sparseCategoricalCrossentropy targets must be integer class indices in [0, 2]');
  });

  it('rejects sparse targets of the wrong shape, pointing one-hot targets at categorical CE', () => {
    expect(() => sparseCategoricalCrossentropy.validateTargets(nested64([[0, 1, 0], [1, 0, 0]]), [2, 3], 'y')).toThrow(
      'y: expected class indices of shape [2] or [2, 1] for predictions of shape [2, 3], got [2, 3]; sparseCategoricalCrossentropy takes integer class indices (use categoricalCrossentropy for one-hot or probability targets)',
    );
    expect(() => sparseCategoricalCrossentropy.validateTargets(f64([0, 1, 2], [3]), [2, 4, 3], 'y')).toThrow(
      'y: expected class indices of shape [2, 4] or [2, 4, 1] for predictions of shape [2, 4, 3], got [3]',
    );
  });

  it('rejects predictions without rows and targets that are not tensors', () => {
    expect(() => meanSquaredError.compute(f64([1], []), f64([1], []))).toThrow('yPred: expected predictions with at least one axis ([batch, classes] or [batch, time, classes]), got a scalar');
    expect(() => binaryCrossentropy.compute(f64([], [0, 2]), f64([], [0, 2]))).toThrow('yPred: expected at least one prediction, got shape [0, 2]');
    expect(() => softmaxCategoricalCrossentropy(f64([], [2, 0]), f64([], [2, 0]))).toThrow('logits: expected at least one prediction, got shape [2, 0]');
    expect(() => meanSquaredError.validateTargets([[1]] as unknown as Tensor, [1, 1], 'y')).toThrow('y: expected a Tensor of targets, got an array of length 1');
  });
});

describe('the unchecked loss kernels behind the training step (loss.ts, kernelOf)', () => {
  // The model's step calls a built-in loss's arithmetic directly, on a gradient buffer it reuses;
  // it must give the public function's bits exactly, and overwrite every element of the buffer.
  const dense = (rng: () => number, n: number, tiny: boolean) =>
    Float32Array.from({ length: n }, () => (tiny && rng() < 0.3 ? rng() * 2e-7 : rng())); // some below ε, so clipping is exercised
  const cases: [string, (p: Tensor, t: Tensor) => LossResult, 'probabilities' | 'logits', 'dense' | 'indices'][] = [
    ['binaryCrossentropy', binaryCrossentropy.compute, 'probabilities', 'dense'],
    ['sigmoidBinaryCrossentropy', sigmoidBinaryCrossentropy, 'logits', 'dense'],
    ['categoricalCrossentropy', categoricalCrossentropy.compute, 'probabilities', 'dense'],
    ['softmaxCategoricalCrossentropy', softmaxCategoricalCrossentropy, 'logits', 'dense'],
    ['sparseCategoricalCrossentropy', sparseCategoricalCrossentropy.compute, 'probabilities', 'indices'],
    ['softmaxSparseCategoricalCrossentropy', softmaxSparseCategoricalCrossentropy, 'logits', 'indices'],
    ['meanSquaredError', meanSquaredError.compute, 'logits', 'dense'],
    ['meanAbsoluteError', meanAbsoluteError.compute, 'logits', 'dense'],
    ['huber', huber.compute, 'logits', 'dense'],
    ['meanAbsolutePercentageError', meanAbsolutePercentageError.compute, 'probabilities', 'dense'],
    ['logCosh', logCosh.compute, 'logits', 'dense'],
  ];
  for (const [name, fn, predKind, targetKind] of cases) {
    it(`${name}: the same loss and gradient bits as the public function, on a dirty buffer`, () => {
      const kernel = kernelOf(fn);
      expect(kernel, `${name} has a kernel`).toBeDefined();
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 1e9 }), (rows, width, seed) => {
          const rng = mulberry32(seed);
          const pred = predKind === 'logits' ? Float32Array.from({ length: rows * width }, () => 8 * rng() - 4) : dense(rng, rows * width, true);
          let target: Float32Array;
          if (targetKind === 'indices') target = Float32Array.from({ length: rows }, () => Math.floor(rng() * width));
          else if (name.startsWith('binary') || name.startsWith('sigmoid') || name === 'meanSquaredError') target = Float32Array.from({ length: rows * width }, () => (rng() < 0.5 ? 0 : 1));
          else {
            target = new Float32Array(rows * width); // one-hot rows (categorical targets sum to 1)
            for (let r = 0; r < rows; r++) target[r * width + Math.floor(rng() * width)] = 1;
          }
          const expected = fn(tensor(pred, [rows, width]), tensor(target, targetKind === 'indices' ? [rows] : [rows, width]));
          const grad = Float32Array.from({ length: rows * width }, () => rng() * 100 - 50); // last step's leftovers
          const loss = kernel!(pred, target, width, grad);
          expect(Object.is(loss, expected.loss)).toBe(true);
          expect(Array.from(grad)).toEqual(Array.from(expected.grad.data));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('a loss of your own has no kernel, so the model calls it through its checked function', () => {
    const own: Loss = { ...meanSquaredError, compute: (p, t) => meanSquaredError.compute(p, t) };
    expect(kernelOf(own.compute)).toBeUndefined();
    expect(kernelOf(undefined)).toBeUndefined();
  });
});
