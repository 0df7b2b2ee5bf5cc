/**
 * Masking in the LSTM layer (`maskValue`, Keras' Masking(mask_value) / mask_zero): a time step of
 * a sample whose features all equal maskValue leaves (h, c) as they were, outputs the previous
 * output, adds nothing to the weight gradients, passes dL/dh and dL/dc straight through, and
 * gets dx = 0.
 *   1. central finite differences with masks (float64): every weight, h0, c0 and every input
 *      entry of an unmasked step; dx exactly 0 at masked steps;
 *   2. pre-padded (or post-padded) + masked = unpadded, EXACTLY in float64 (===, so +0 = -0):
 *      outputs, weight gradients, dx, carried state;
 *   3. masked steps anywhere in a sequence change neither the state nor the gradients;
 *   4. a batch of sequences of different lengths, padded by padSequences;
 *   5. configuration, serialisation, bad values, gradCheck of a masking layer (masked input
 *      entries compared with 0, not perturbed) and of a whole model, fit.
 * Why exact: the layer sums dW, dU and db over the rows of the unmasked steps only, gathered in
 * order, so a padded sequence feeds the same rows to the same products as the unpadded one; and
 * every other product (x·W, h·U, dz·Wᵀ, dz·Uᵀ) computes each row on its own. If a GEMM kernel
 * ever summed a row differently depending on how many rows it was given, these tests would say so.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LSTM, type LSTMOptions } from '../src/layers/lstm.js';
import { Dense, Sequential, SGD, gradCheck, padSequences, setSeed } from '../src/index.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { mulberry32 } from './helpers/random.js';

// ---------------------------------------------------------------------------------------------
// Helpers (test data comes from a private generator, never the library's)
// ---------------------------------------------------------------------------------------------

function uniform(rng: () => number, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let k = 0; k < n; k++) data[k] = (2 * rng() - 1) * scale;
  return new Tensor(data, shape);
}
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}
/** Exact equality entry by entry (=== : +0 equals -0), naming the first difference. */
function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let k = 0; k < actual.length; k++) {
    if (actual[k] !== expected[k]) expect.fail(`${what}: entry ${k} is ${actual[k]}, expected exactly ${expected[k]}`);
  }
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

/** A float64 LSTM with random weights (bias included), built for [batch, T, I]. */
function randomLayer(rng: () => number, I: number, H: number, options: Partial<LSTMOptions> = {}, batch: number | null = null, T: number | null = null): LSTM {
  const layer = new LSTM({ units: H, dtype: 'float64', ...options });
  layer.build([batch, T, I]);
  layer.setWeights([uniform(rng, [I, 4 * H]), uniform(rng, [H, 4 * H], 0.7), uniform(rng, [4 * H], 0.5)]);
  return layer;
}
/** The same weights and options, without masking. */
function plainTwin(layer: LSTM, options: Partial<LSTMOptions> = {}, batch: number | null = null): LSTM {
  const twin = new LSTM({ units: layer.units, dtype: 'float64', returnSequences: layer.returnSequences, ...options });
  twin.build([batch, null, layer.getWeights()[0].shape[0]]);
  twin.setWeights(layer.getWeights());
  return twin;
}
/** x [B, T, I] with every feature of the steps where masked[b][t] set to `value`. */
function withMask(x: Tensor, masked: boolean[][], value: number): Tensor {
  const [B, T, I] = x.shape;
  const out = x.clone();
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (masked[b][t]) out.data.fill(value, (b * T + t) * I, (b * T + t + 1) * I);
  return out;
}
/** The rows [from, to) of sample b of x [B, T, n], as [1, to - from, n]; likewise keeping only some steps. */
function keepSteps(x: Tensor, b: number, keep: boolean[]): Tensor {
  const [, T, n] = x.shape;
  const rows: number[] = [];
  for (let t = 0; t < T; t++) if (keep[t]) rows.push(...x.data.subarray((b * T + t) * n, (b * T + t + 1) * n));
  return new Tensor(Float64Array.from(rows), [1, rows.length / n, n]);
}

// ---------------------------------------------------------------------------------------------
// 1. Finite differences with masks
// ---------------------------------------------------------------------------------------------

describe('LSTM masking: gradients by central finite differences (float64)', () => {
  const caseArb = fc.record({
    B: fc.integer({ min: 1, max: 3 }),
    T: fc.integer({ min: 1, max: 6 }),
    I: fc.integer({ min: 1, max: 4 }),
    H: fc.integer({ min: 1, max: 5 }),
    returnSequences: fc.boolean(),
    act: fc.constantFrom<'tanh' | 'linear'>('tanh', 'tanh', 'linear'),
    maskValue: fc.constantFrom(0, -1, 0.5),
    maskProbability: fc.constantFrom(0.25, 0.5, 0.75),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

  it('every weight, h0, c0 and unmasked input entry; dx is exactly 0 at masked steps', () => {
    // Smooth activations only (sigmoid gates; tanh or linear cell): the kinks of hardSigmoid and
    // relu are covered by test/lstm.test.ts. Perturbing an input entry of a masked step would
    // unmask it (a jump, not a derivative), so those entries are checked to be exactly 0 instead.
    // eps = 1e-5, relative error floor 1e-3, as in test/lstm.test.ts.
    let maskedSteps = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const rng = mulberry32(c.seed);
        const layer = randomLayer(rng, c.I, c.H, { activation: c.act, returnSequences: c.returnSequences, stateful: true, batchInputShape: [c.B, c.T, c.I], maskValue: c.maskValue }, c.B, c.T);
        const h0 = uniform(rng, [c.B, c.H]);
        const c0 = uniform(rng, [c.B, c.H]);
        const masked = Array.from({ length: c.B }, () => Array.from({ length: c.T }, () => rng() < c.maskProbability));
        const x = withMask(uniform(rng, [c.B, c.T, c.I]), masked, c.maskValue);
        const r = uniform(rng, c.returnSequences ? [c.B, c.T, c.H] : [c.B, c.H]);
        const loss = (): number => {
          layer.resetStates([h0, c0]);
          return dot(layer.forward(x).data, r.data);
        };
        loss();
        const dx = layer.backward(r).data.slice();
        const grads = layer.getGradients().map((g) => g.data.slice());
        const [dh0, dc0] = layer.getInitialStateGradients().map((g) => g.data.slice());

        const eps = 1e-5;
        let worst = 0;
        const check = (data: Float64Array | Float32Array, analytic: ArrayLike<number>, skip?: (k: number) => boolean): void => {
          for (let k = 0; k < data.length; k++) {
            if (skip?.(k)) continue;
            const saved = data[k];
            data[k] = saved + eps;
            const plus = loss();
            data[k] = saved - eps;
            const minus = loss();
            data[k] = saved;
            const numeric = (plus - minus) / (2 * eps);
            worst = Math.max(worst, Math.abs(analytic[k] - numeric) / Math.max(Math.abs(analytic[k]), Math.abs(numeric), 1e-3));
          }
        };
        layer.trainableWeights.forEach((w, n) => check(w.data, grads[n]));
        check(h0.data, dh0);
        check(c0.data, dc0);
        const stepOf = (k: number): [number, number] => [Math.floor(k / (c.T * c.I)), Math.floor(k / c.I) % c.T];
        check(x.data, dx, (k) => {
          const [b, t] = stepOf(k);
          return masked[b][t];
        });
        expect(worst).toBeLessThan(1e-6);
        for (let k = 0; k < dx.length; k++) {
          const [b, t] = stepOf(k);
          if (masked[b][t]) expect(dx[k]).toBe(0);
        }
        maskedSteps += masked.flat().filter(Boolean).length;
      }),
      { numRuns: 40, seed: 4242 },
    );
    expect(maskedSteps).toBeGreaterThan(40); // the cases really were masked
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Padded + masked = unpadded, exactly
// ---------------------------------------------------------------------------------------------

describe('LSTM masking: a padded sequence gives exactly what the unpadded one gives (float64)', () => {
  const caseArb = fc.record({
    length: fc.integer({ min: 1, max: 6 }),
    pad: fc.integer({ min: 1, max: 5 }),
    I: fc.integer({ min: 1, max: 4 }),
    H: fc.integer({ min: 1, max: 6 }),
    returnSequences: fc.boolean(),
    padding: fc.constantFrom<'pre' | 'post'>('pre', 'pre', 'post'),
    maskValue: fc.constantFrom(0, -1),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

  it('outputs, weight gradients, dx and dh0/dc0 equal those of an unmasked layer on the unpadded sequence', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const rng = mulberry32(c.seed);
        const layer = randomLayer(rng, c.I, c.H, { returnSequences: c.returnSequences, maskValue: c.maskValue });
        const plain = plainTwin(layer); // maskValue null: the unmasked computation itself
        const real = uniform(rng, [1, c.length, c.I]);
        const T = c.length + c.pad;
        const first = c.padding === 'pre' ? c.pad : 0; // where the real steps start
        const padded = padSequences([real.reshape([c.length, c.I])], { maxlen: T, padding: c.padding, value: c.maskValue, dtype: 'float64' });
        expect(padded.shape).toEqual([1, T, c.I]);

        // Forward.
        const yPlain = plain.forward(real);
        const yPadded = layer.forward(padded);
        if (!c.returnSequences) {
          expectExact(yPadded.data, yPlain.data, 'h_T');
        } else {
          const H = c.H;
          for (let t = 0; t < T; t++) {
            const got = yPadded.data.subarray(t * H, (t + 1) * H);
            const realT = t - first;
            // A padded step outputs the previous output: h0 = 0 before the sequence, h_last after it.
            const want = realT >= 0 && realT < c.length ? yPlain.data.subarray(realT * H, (realT + 1) * H)
              : realT < 0 ? new Float64Array(H) : yPlain.data.subarray((c.length - 1) * H, c.length * H);
            expectExact(got, want, `y at step ${t}`);
          }
        }

        // Backward. With returnSequences, dy at the padded steps is 0 after the sequence (the
        // output there copies h_last, so any dy would add to h_last's) and random before it: it
        // can only reach dL/dh0, never a weight.
        const dyPlain = uniform(rng, c.returnSequences ? [1, c.length, c.H] : [1, c.H]);
        let dyPadded = dyPlain;
        let dyBefore = new Float64Array(c.H); // Σ dy over the padded steps before the sequence
        if (c.returnSequences) {
          dyPadded = new Tensor(new Float64Array(T * c.H), [1, T, c.H]);
          dyPadded.data.set(dyPlain.data, first * c.H);
          if (c.padding === 'pre') {
            const before = uniform(rng, [c.pad, c.H]);
            dyPadded.data.set(before.data, 0);
            dyBefore = new Float64Array(c.H);
            for (let t = c.pad - 1; t >= 0; t--) for (let j = 0; j < c.H; j++) dyBefore[j] += before.data[t * c.H + j];
          }
        }
        const dxPlain = plain.backward(dyPlain).data.slice();
        const dxPadded = layer.backward(dyPadded).data;
        const gPlain = plain.getGradients();
        layer.getGradients().forEach((g, n) => expectExact(g.data, gPlain[n].data, `gradient of ${layer.weightNames[n]}`));
        expectExact(dxPadded.subarray(first * c.I, (first + c.length) * c.I), dxPlain, 'dx at the real steps');
        for (let k = 0; k < T * c.I; k++) {
          const t = Math.floor(k / c.I);
          if (t < first || t >= first + c.length) expect(dxPadded[k]).toBe(0);
        }
        const [dh0Plain, dc0Plain] = plain.getInitialStateGradients();
        const [dh0, dc0] = layer.getInitialStateGradients();
        expectExact(dc0.data, dc0Plain.data, 'dL/dc0');
        if (c.padding === 'post' || !c.returnSequences) expectExact(dh0.data, dh0Plain.data, 'dL/dh0');
        else expect(maxAbsDiff(dh0.data, Array.from(dh0Plain.data, (v, j) => v + dyBefore[j]))).toBeLessThan(1e-12);
      }),
      { numRuns: 150, seed: 99 },
    );
  });

  it('stateful: the carried state after a padded batch is the unpadded one, exactly', () => {
    const rng = mulberry32(5);
    const I = 3, H = 4;
    const layer = randomLayer(rng, I, H, { stateful: true, batchInputShape: [1, null, I], maskValue: 0 }, 1);
    const plain = plainTwin(layer, { stateful: true, batchInputShape: [1, null, I] }, 1);
    const start = [uniform(rng, [1, H]), uniform(rng, [1, H])];
    layer.resetStates(start);
    plain.resetStates(start);
    for (const [length, pad] of [[3, 2], [1, 4], [5, 1]]) {
      const real = uniform(rng, [1, length, I]);
      layer.forward(padSequences([real.reshape([length, I])], { maxlen: length + pad, dtype: 'float64' }));
      plain.forward(real);
      const [h, c] = layer.getStates();
      const [hPlain, cPlain] = plain.getStates();
      expectExact(h.data, hPlain.data, 'carried h');
      expectExact(c.data, cPlain.data, 'carried c');
    }
  });

  it('a step is masked only when ALL its features equal maskValue (Keras: any(x != mask_value) keeps it)', () => {
    const rng = mulberry32(23);
    const layer = randomLayer(rng, 3, 4, { returnSequences: true, maskValue: 0 });
    const plain = plainTwin(layer);
    // Steps with some zero features, one all-zero step (masked), and a step of -0 (=== 0: masked).
    const x = tensor([[[0, 0, 0.5], [0.3, 0, 0], [0, 0, 0], [0, 0.2, 0], [-0, -0, -0]]], undefined, 'float64');
    const y = layer.forward(x).data;
    const yPlain = plain.forward(keepSteps(x, 0, [true, true, false, true, false])).data;
    expectExact(y.subarray(0, 8), yPlain.subarray(0, 8), 'y at steps 0-1');
    expectExact(y.subarray(8, 12), yPlain.subarray(4, 8), 'y at step 2 (masked: a copy of step 1)');
    expectExact(y.subarray(12, 16), yPlain.subarray(8, 12), 'y at step 3');
    expectExact(y.subarray(16, 20), yPlain.subarray(8, 12), 'y at step 4 (masked)');
  });

  it('with maskValue set but no step masked, every output and gradient is bit-identical to the unmasked layer', () => {
    const rng = mulberry32(17);
    const layer = randomLayer(rng, 3, 5, { returnSequences: true, maskValue: 0 });
    const plain = plainTwin(layer);
    const x = uniform(rng, [4, 6, 3]);
    expectExact(layer.forward(x).data, plain.forward(x).data, 'y');
    const dy = uniform(rng, [4, 6, 5]);
    expectExact(layer.backward(dy).data, plain.backward(dy).data, 'dx');
    const g = plain.getGradients();
    layer.getGradients().forEach((d, n) => expectExact(d.data, g[n].data, `gradient ${n}`));
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Masked steps anywhere
// ---------------------------------------------------------------------------------------------

describe('LSTM masking: masked steps change neither the state nor the gradients', () => {
  const caseArb = fc.record({
    T: fc.integer({ min: 2, max: 8 }),
    I: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 5 }),
    returnSequences: fc.boolean(),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

  it('steps masked at the start, middle and end, from a carried state: state, output, dW, dU, db, dh0, dc0 as if the steps were not there', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const rng = mulberry32(c.seed);
        const masked = Array.from({ length: c.T }, () => rng() < 0.4);
        if (masked.every(Boolean)) masked[Math.floor(rng() * c.T)] = false; // see the next test for all masked
        const kept = masked.map((m) => !m);
        const layer = randomLayer(rng, c.I, c.H, { returnSequences: c.returnSequences, stateful: true, batchInputShape: [1, null, c.I], maskValue: 0 }, 1);
        const plain = plainTwin(layer, { stateful: true, batchInputShape: [1, null, c.I] }, 1);
        const start = [uniform(rng, [1, c.H]), uniform(rng, [1, c.H])];
        layer.resetStates(start);
        plain.resetStates(start);
        const x = withMask(uniform(rng, [1, c.T, c.I]), [masked], 0);
        const xKept = keepSteps(x, 0, kept);

        const y = layer.forward(x);
        const yKept = plain.forward(xKept);
        layer.getStates().forEach((s, k) => expectExact(s.data, plain.getStates()[k].data, k === 0 ? 'state h' : 'state c'));
        if (!c.returnSequences) expectExact(y.data, yKept.data, 'h_T');
        else expectExact(keepSteps(y, 0, kept).data, yKept.data, 'y at the unmasked steps');

        // dy at masked steps is 0 here (exact); the folded case follows below.
        const dy = uniform(rng, [...y.shape]);
        if (c.returnSequences) for (let t = 0; t < c.T; t++) if (masked[t]) dy.data.fill(0, t * c.H, (t + 1) * c.H);
        const dyKept = c.returnSequences ? keepSteps(dy, 0, kept) : dy;
        const dx = layer.backward(dy);
        const dxKept = plain.backward(dyKept);
        const g = plain.getGradients();
        layer.getGradients().forEach((d, n) => expectExact(d.data, g[n].data, `gradient of ${layer.weightNames[n]}`));
        expectExact(keepSteps(dx, 0, kept).data, dxKept.data, 'dx at the unmasked steps');
        layer.getInitialStateGradients().forEach((d, k) => expectExact(d.data, plain.getInitialStateGradients()[k].data, k === 0 ? 'dL/dh0' : 'dL/dc0'));

        if (c.returnSequences) {
          // dy at a masked step belongs to the output it copies: the last unmasked step before it
          // (or h0). Folded there, the gradients agree to rounding (the sums run in another order).
          const dyAll = uniform(rng, [...y.shape]);
          const folded = new Float64Array(c.T * c.H);
          const toH0 = new Float64Array(c.H);
          let owner = -1;
          for (let t = 0; t < c.T; t++) {
            if (!masked[t]) owner = t;
            for (let j = 0; j < c.H; j++) {
              if (owner < 0) toH0[j] += dyAll.data[t * c.H + j];
              else folded[owner * c.H + j] += dyAll.data[t * c.H + j];
            }
          }
          layer.resetStates(start);
          plain.resetStates(start);
          layer.forward(x);
          plain.forward(xKept);
          layer.backward(dyAll);
          plain.backward(keepSteps(new Tensor(folded, [1, c.T, c.H]), 0, kept));
          const gp = plain.getGradients();
          layer.getGradients().forEach((d, n) => expect(maxAbsDiff(d.data, gp[n].data)).toBeLessThan(1e-12));
          const dh0 = layer.getInitialStateGradients()[0].data;
          const dh0Plain = plain.getInitialStateGradients()[0].data;
          expect(maxAbsDiff(dh0, Array.from(dh0Plain, (v, j) => v + toH0[j]))).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 150, seed: 31 },
    );
  });

  it('a fully masked sample: output h0, state unchanged, zero weight gradients and dx, dy passes to dh0', () => {
    const rng = mulberry32(8);
    const I = 2, H = 3, T = 4;
    for (const returnSequences of [false, true]) {
      const layer = randomLayer(rng, I, H, { returnSequences, stateful: true, batchInputShape: [1, T, I], maskValue: -1 }, 1, T);
      const start = [uniform(rng, [1, H]), uniform(rng, [1, H])];
      layer.resetStates(start);
      const x = tensor(new Float64Array(T * I).fill(-1), [1, T, I], 'float64');
      const y = layer.forward(x);
      for (let t = 0; t < (returnSequences ? T : 1); t++) expectExact(y.data.subarray(t * H, (t + 1) * H), start[0].data, `y at step ${t}`);
      layer.getStates().forEach((s, k) => expectExact(s.data, start[k].data, 'state'));
      const dy = uniform(rng, [...y.shape]);
      const dx = layer.backward(dy);
      expect(Array.from(dx.data).every((v) => v === 0)).toBe(true);
      layer.getGradients().forEach((g) => expect(Array.from(g.data).every((v) => v === 0)).toBe(true));
      const [dh0, dc0] = layer.getInitialStateGradients();
      const sum = new Float64Array(H);
      for (let t = returnSequences ? T - 1 : 0; t >= 0; t--) for (let j = 0; j < H; j++) sum[j] += dy.data[t * H + j];
      expectExact(dh0.data, sum, 'dL/dh0 = Σ dy');
      expect(Array.from(dc0.data).every((v) => v === 0)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. A padded batch of sequences of different lengths
// ---------------------------------------------------------------------------------------------

describe('LSTM masking: a batch padded by padSequences', () => {
  it('each sample gives exactly its own unpadded output; the weight gradients are the sum over samples (1e-12)', () => {
    const rng = mulberry32(2024);
    const I = 2, H = 4;
    const lengths = [1, 4, 2, 5, 3];
    const sequences = lengths.map((n) => uniform(rng, [n, I]));
    const x = padSequences(sequences, { dtype: 'float64' }); // [5, 5, 2], pre-padded with 0
    const layer = randomLayer(rng, I, H, { maskValue: 0 });
    const plain = plainTwin(layer);
    const y = layer.forward(x);
    const dy = uniform(rng, [...y.shape]);
    layer.backward(dy);
    const sum = layer.getGradients().map((g) => new Float64Array(g.size));
    sequences.forEach((s, b) => {
      const yb = plain.forward(s.reshape([1, s.shape[0], I]));
      expectExact(y.data.subarray(b * H, (b + 1) * H), yb.data, `h_T of sample ${b}`);
      plain.backward(new Tensor(dy.data.slice(b * H, (b + 1) * H), [1, H]));
      plain.getGradients().forEach((g, n) => g.data.forEach((v, k) => (sum[n][k] += v)));
    });
    layer.getGradients().forEach((g, n) => expect(maxAbsDiff(g.data, sum[n])).toBeLessThan(1e-12));
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Configuration, serialisation, a whole model
// ---------------------------------------------------------------------------------------------

describe('LSTM masking: configuration and models', () => {
  it('getConfig writes maskValue explicitly (null when off) and new LSTM(config) keeps it', () => {
    expect(new LSTM({ units: 2 }).getConfig().config.maskValue).toBeNull();
    expect(new LSTM({ units: 2, maskValue: null }).maskValue).toBeNull();
    for (const value of [0, -1, 0.25]) {
      const config = new LSTM({ units: 2, maskValue: value }).getConfig().config;
      expect(config.maskValue).toBe(value);
      expect(new LSTM(config as unknown as LSTMOptions).getConfig().config).toEqual(config);
    }
  });

  it('refuses a maskValue that is not a finite number or null, naming the option', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '0', true, [0]]) {
      expect(() => new LSTM({ units: 2, maskValue: bad as unknown as number })).toThrow(/maskValue: expected a finite number .* or null/);
    }
  });

  it('a saved model keeps maskValue and predicts bit for bit the same on padded input', () => {
    setSeed(3);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [5, 1], maskValue: 0 }), new Dense({ units: 3, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = padSequences([[0.1], [0.2, 0.3], [0.4, 0.5, 0.6]].map((s) => s.map((v) => [v])), { maxlen: 5 });
    const restored = Sequential.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect((restored.layers[0] as LSTM).maskValue).toBe(0);
    expectExact(restored.predict(x).data, model.predict(x).data, 'predictions');
  });

  it('a model on pre-padded, masked input: gradCheck passes for every weight, through returnSequences and a per-step Dense', () => {
    const rng = mulberry32(77);
    setSeed(77);
    const model = new Sequential([
      new LSTM({ units: 3, inputShape: [4, 2], returnSequences: true, maskValue: 0 }),
      new LSTM({ units: 3 }),
      new Dense({ units: 3, activation: 'softmax' }),
    ], { dtype: 'float64' });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const x = padSequences([uniform(rng, [2, 2]), uniform(rng, [4, 2]), uniform(rng, [1, 2])], { dtype: 'float64' });
    const y = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]], undefined, 'float64');
    const result = gradCheck({ model, x, y });
    expect(result.maxRelativeError).toBeLessThan(1e-6);
  });

  it('gradCheck({ layer, input }) on pre-padded input: passes; the input entries of masked steps are not perturbed but compared with 0', () => {
    // Perturbing an entry of a masked step would un-mask the step (a jump in L, not a slope): before
    // gradCheck skipped them, this reported a relative error of about 1 at a padded input entry.
    const rng = mulberry32(91);
    for (const returnSequences of [false, true]) {
      const layer = randomLayer(rng, 2, 3, { returnSequences, maskValue: 0 });
      const x = padSequences([uniform(rng, [2, 2]), uniform(rng, [4, 2]), uniform(rng, [1, 2])], { dtype: 'float64' }); // [3, 4, 2]; 2 + 0 + 3 padded steps
      const result = gradCheck({ layer, input: x });
      expect(result.maxRelativeError, JSON.stringify(result.worst)).toBeLessThan(1e-6);
      expect(result.entriesSkipped).toBe(5 * 2);
      expect(result.entriesChecked).toBe(layer.countParams() + x.size - 5 * 2);
    }
    // A step masked only when ALL its features equal maskValue: one feature at 0 is perturbed as usual.
    const layer = randomLayer(rng, 2, 3, { maskValue: 0 });
    const x = uniform(rng, [1, 3, 2]);
    x.data[0] = 0;
    expect(gradCheck({ layer, input: x }).entriesSkipped).toBe(0);
  });

  it('gradCheck({ layer, input }) still catches a masked step whose dx is not 0', () => {
    class LeakyMask extends LSTM {
      override backward(dy: Tensor): Tensor {
        const dx = super.backward(dy);
        dx.data[0] += 0.5; // sample 0, step 0, feature 0: a padded step below
        return dx;
      }
    }
    const rng = mulberry32(92);
    const layer = new LeakyMask({ units: 3, dtype: 'float64', maskValue: 0 });
    layer.build([null, null, 2]);
    layer.setWeights([uniform(rng, [2, 12]), uniform(rng, [3, 12], 0.7), uniform(rng, [12], 0.5)]);
    const x = padSequences([uniform(rng, [2, 2]), uniform(rng, [4, 2])], { dtype: 'float64' });
    const result = gradCheck({ layer, input: x });
    expect(result.worst.argument).toBe('input');
    expect(result.worst.index).toEqual([0, 0, 0]);
    expect(result.worst.numeric).toBe(0);
    expect(result.maxRelativeError).toBe(1);
  });

  it('training on padded + masked data follows training on the unpadded data exactly (SGD, one sample per batch)', () => {
    // Same weights, same sample order; each update sees the same gradients bit for bit.
    const sequences = [[0.3, 0.7], [0.5], [0.2, 0.9, 0.4]].map((s) => s.map((v) => [v]));
    const targets = [[1, 0], [0, 1], [1, 0]];
    setSeed(12);
    const masked = new Sequential([new LSTM({ units: 3, inputShape: [3, 1], maskValue: 0 }), new Dense({ units: 2, activation: 'softmax' })], { dtype: 'float64' });
    const plain = new Sequential([new LSTM({ units: 3, inputShape: [null, 1] }), new Dense({ units: 2, activation: 'softmax' })], { dtype: 'float64' });
    masked.build();
    plain.build();
    plain.setWeights(masked.getWeights());
    masked.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'categoricalCrossentropy' });
    plain.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'categoricalCrossentropy' });
    const padded = padSequences(sequences, { maxlen: 3, dtype: 'float64' });
    for (let epoch = 0; epoch < 5; epoch++) {
      sequences.forEach((s, i) => {
        const lossMasked = masked.trainOnBatch((padded.toArray() as number[][][]).slice(i, i + 1), [targets[i]]);
        const lossPlain = plain.trainOnBatch([s], [targets[i]]);
        expect(lossMasked).toBe(lossPlain);
      });
    }
    masked.getWeights().forEach((w, n) => expectExact(w.data, plain.getWeights()[n].data, `weight ${n} after training`));
  });
});

// ---------------------------------------------------------------------------------------------
// 6. The mask goes on, as in Keras: past an LSTM that returns sequences, through a per-step Dense,
//    into a second LSTM and into the loss and the accuracy (the mean over the unmasked steps)
// ---------------------------------------------------------------------------------------------

describe('masking goes on past an LSTM that returns sequences (Keras semantics)', () => {
  /** A float64 model with random weights: a masking LSTM returning sequences, then `rest`. */
  function stack(rng: () => number, rest: (Dense | LSTM)[], I = 2, H = 3): Sequential {
    const model = new Sequential([new LSTM({ units: H, inputShape: [null, I], returnSequences: true, maskValue: 0 }), ...rest], { dtype: 'float64' });
    model.build();
    model.setWeights(model.getWeights().map((w) => uniform(rng, [...w.shape], 0.8)));
    return model;
  }
  // Sample 0 pre-padded by 2, sample 1 unpadded, sample 2 pre-padded by 1 and masked at step 3.
  const MASKED = [[true, true, false, false, false], [false, false, false, false, false], [true, false, false, true, false]];
  const unmaskedRows = MASKED.flat().map((m) => !m);

  it('the loss and the accuracy are the mean over the unmasked steps, computed by hand from the predictions; targets at masked steps change nothing', () => {
    const rng = mulberry32(301);
    const model = stack(rng, [new Dense({ units: 4, activation: 'softmax' })]);
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = withMask(uniform(rng, [3, 5, 2]), MASKED, 0);
    const classes = Array.from({ length: 15 }, () => Math.floor(rng() * 4));
    const y = new Tensor(Float64Array.from(classes.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0)))), [3, 5, 4]);
    const p = model.predict(x).data;
    let lossSum = 0;
    let correct = 0;
    let counted = 0;
    for (let r = 0; r < 15; r++) {
      if (!unmaskedRows[r]) continue;
      const row = Array.from(p.subarray(r * 4, r * 4 + 4));
      lossSum -= Math.log(row[classes[r]]);
      correct += row.indexOf(Math.max(...row)) === classes[r] ? 1 : 0;
      counted++;
    }
    const scores = model.evaluate(x, y);
    expect(scores.loss).toBeCloseTo(lossSum / counted, 12);
    expect(scores.accuracy).toBe(correct / counted);
    expect(counted).toBe(11);
    // Whatever the targets say at a masked step, the loss and every gradient stay the same, bit for bit.
    const yOther = y.clone();
    MASKED.flat().forEach((m, r) => {
      if (m) yOther.data.set([0.25, 0.25, 0.25, 0.25], r * 4);
    });
    const a = model.computeGradients(x, y);
    const b = model.computeGradients(x, yOther);
    expect(b.loss).toBe(a.loss);
    a.grads.forEach((g, i) => expectExact(b.grads[i].data, g.data, `gradient ${i}`));
  });

  it('a second LSTM without a maskValue skips the steps masked below it: it carries its state over them and repeats its output', () => {
    const rng = mulberry32(302);
    const model = stack(rng, [new Dense({ units: 3, activation: 'tanh' }), new LSTM({ units: 2, returnSequences: true })]);
    const x = withMask(uniform(rng, [3, 5, 2]), MASKED, 0);
    const y = model.predict(x);
    const out = (b: number, t: number) => Array.from(y.data.subarray((b * 5 + t) * 2, (b * 5 + t + 1) * 2));
    expect(out(2, 3)).toEqual(out(2, 2)); // masked mid-sequence: the output of step 2 again
    expect(out(0, 0)).toEqual([0, 0]); //    pre-padded: the zero initial state
    expect(out(0, 1)).toEqual([0, 0]);
    expect(out(2, 4)).not.toEqual(out(2, 3));
    // And each sample's outputs at its real steps are those of its unpadded sequence alone.
    for (let b = 0; b < 3; b++) {
      const keep = MASKED[b].map((m) => !m);
      const alone = model.predict(keepSteps(x, b, keep)).data;
      const kept = keepSteps(y, b, keep).data;
      expect(maxAbsDiff(kept, alone)).toBeLessThan(1e-15);
    }
  });

  it('padded + masked trains as the unpadded sequences do: per-step targets through a second LSTM, SGD one sample per batch (float64)', () => {
    const rng = mulberry32(303);
    const sequences = [uniform(rng, [3, 2]), uniform(rng, [5, 2]), uniform(rng, [2, 2])];
    const targets = sequences.map((s) => {
      const T = s.shape[0];
      return new Tensor(Float64Array.from({ length: T * 2 }, (_, k) => (k % 2 === (Math.floor(k / 2) % 2) ? 1 : 0)), [1, T, 2]);
    });
    const padded = stack(rng, [new Dense({ units: 3, activation: 'tanh' }), new LSTM({ units: 3, returnSequences: true }), new Dense({ units: 2, activation: 'softmax' })]);
    const plain = new Sequential([
      new LSTM({ units: 3, inputShape: [null, 2], returnSequences: true }),
      new Dense({ units: 3, activation: 'tanh' }),
      new LSTM({ units: 3, returnSequences: true }),
      new Dense({ units: 2, activation: 'softmax' }),
    ], { dtype: 'float64' });
    plain.build();
    plain.setWeights(padded.getWeights());
    padded.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
    plain.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
    const x = padSequences(sequences.map((s) => s.toArray() as number[][]), { maxlen: 5, dtype: 'float64' });
    for (let epoch = 0; epoch < 4; epoch++) {
      sequences.forEach((s, i) => {
        const T = s.shape[0];
        // Targets at the padded steps are junk (uniform): they must not count.
        const y = new Tensor(new Float64Array(5 * 2).fill(0.5), [1, 5, 2]);
        y.data.set(targets[i].data, (5 - T) * 2);
        const lossPadded = padded.trainOnBatch(new Tensor(x.data.slice(i * 10, (i + 1) * 10), [1, 5, 2]), y);
        const lossPlain = plain.trainOnBatch(new Tensor(s.data, [1, T, 2]), targets[i]);
        expect(Math.abs(lossPadded - lossPlain)).toBeLessThan(1e-13);
      });
    }
    padded.getWeights().forEach((w, n) => expect(maxAbsDiff(w.data, plain.getWeights()[n].data), `weight ${n}`).toBeLessThan(1e-13));
  });

  it('gradCheck passes with the loss over the unmasked steps: one LSTM and a per-step Dense, and two LSTMs, for each loss', () => {
    const rng = mulberry32(304);
    const losses = [['categoricalCrossentropy', 'softmax'], ['binaryCrossentropy', 'sigmoid'], ['meanSquaredError', 'linear'], ['sparseCategoricalCrossentropy', 'softmax']] as const;
    for (const [loss, activation] of losses) {
      for (const second of [false, true]) {
        const model = stack(rng, second ? [new LSTM({ units: 3, returnSequences: true }), new Dense({ units: 3, activation })] : [new Dense({ units: 3, activation })]);
        model.compile({ optimizer: 'sgd', loss });
        const x = withMask(uniform(rng, [3, 5, 2]), MASKED, 0);
        const y = loss === 'sparseCategoricalCrossentropy'
          ? new Tensor(Float64Array.from({ length: 15 }, () => Math.floor(rng() * 3)), [3, 5])
          : loss === 'categoricalCrossentropy'
            ? new Tensor(Float64Array.from({ length: 45 }, (_, k) => (k % 3 === (Math.floor(k / 3) * 7) % 3 ? 1 : 0)), [3, 5, 3]) // one-hot rows
            : new Tensor(Float64Array.from({ length: 45 }, () => (loss === 'meanSquaredError' ? 2 * rng() - 1 : rng() < 0.5 ? 1 : 0)), [3, 5, 3]);
        const result = gradCheck({ model, x, y });
        expect(result.maxRelativeError, `${loss}, ${second ? 'two LSTMs' : 'one LSTM'}: ${JSON.stringify(result.worst)}`).toBeLessThan(1e-6);
      }
    }
  });

  it('a float32 layer compares its float32 inputs with the float32 maskValue: maskValue 0.1 masks steps of 0.1 (stored as 0.1f)', () => {
    setSeed(306);
    const masked = new LSTM({ units: 3, maskValue: 0.1 });
    const x = tensor([[[0.1, 0.1], [0.4, -0.2], [0.1, 0.1], [0.3, 0.5]]]); // float32: 0.1 is stored as 0.10000000149…
    const y = masked.forward(x);
    const plain = new LSTM({ units: 3 });
    plain.build([null, null, 2]);
    plain.setWeights(masked.getWeights());
    expect(Array.from(y.data)).toEqual(Array.from(plain.forward(tensor([[[0.4, -0.2], [0.3, 0.5]]])).data));
    const f64 = new LSTM({ units: 3, maskValue: 0.1, dtype: 'float64' }); // float64 compares with 0.1 itself
    f64.build([null, null, 2]);
    expect(f64.forward(tensor([[[0.1, 0.1]]], undefined, 'float64')).data.every((v) => v === 0)).toBe(true);
  });

  it('a batch whose every step is masked: loss 0, accuracy over no step, and SGD leaves the weights as they were', () => {
    const rng = mulberry32(305);
    const model = stack(rng, [new Dense({ units: 2, activation: 'softmax' })]);
    model.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const before = model.getWeights();
    const x = new Tensor(new Float64Array(2 * 3 * 2), [2, 3, 2]); // all zeros: every step masked
    const y = new Tensor(Float64Array.from({ length: 12 }, (_, k) => k % 2), [2, 3, 2]);
    expect(model.trainOnBatch(x, y)).toBe(0);
    model.getWeights().forEach((w, n) => expectExact(w.data, before[n].data, `weight ${n}`));
    expect(model.evaluate(x, y).accuracy).toBeNaN(); // 0 of 0 steps, as Keras' mean over nothing
  });
});
