/**
 * Tests of the LSTM layer (src/layers/lstm.ts):
 *   1. golden values against an independent naive reference, and one case worked by hand;
 *   2. central finite differences over random shapes and options (float64);
 *   3. the gradient with respect to the initial state (dh0, dc0);
 *   4. equivalences: stateful = concatenated, sequential = unrolled, permuted batch;
 *   5. float32 agrees with float64;
 *   6. initialisation;
 *   7. bad input, with the content of each error message.
 * Tolerances are stated at each assertion; fast-check runs use fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LSTM, type LSTMActivation, type LSTMOptions, type LSTMRecurrentActivation } from '../src/layers/lstm.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { setSeed } from '../src/tensor/random.js';
import { mulberry32 } from './helpers/random.js';
import { reference, type Act, type Rec, type RefModel, type RefResult } from '../examples/reference-lstm.js';

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function uniform(rng: () => number, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = (2 * rng() - 1) * scale;
  return out;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}
function nested3(data: ArrayLike<number>, B: number, T: number, n: number): number[][][] {
  const out: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const rows: number[][] = [];
    for (let t = 0; t < T; t++) rows.push(Array.from({ length: n }, (_, k) => data[(b * T + t) * n + k]));
    out.push(rows);
  }
  return out;
}
function nested2(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, k) => data[r * cols + k]));
}
/** The reference model holding a layer's current weights. */
function refModelOf(layer: LSTM, I: number, H: number): RefModel {
  const [W, U, b] = layer.getWeights();
  return {
    W: nested2(W.data, I, 4 * H),
    U: nested2(U.data, H, 4 * H),
    b: b ? Array.from(b.data) : null,
    act: layer.activation,
    rec: layer.recurrentActivation,
    returnSequences: layer.returnSequences,
  };
}

/** Central difference of f with respect to data[k]. */
function centralDifference(f: () => number, data: Float64Array | Float32Array, k: number, eps: number): number {
  const saved = data[k];
  data[k] = saved + eps;
  const plus = f();
  data[k] = saved - eps;
  const minus = f();
  data[k] = saved;
  return (plus - minus) / (2 * eps);
}

/**
 * Worst |a − n| / max(|a|, |n|, 1e-3) of f's analytic gradient against central differences over
 * every entry of data. eps = 1e-5: at 1e-6 the round-off in L (~1e-15) over 2·eps is already
 * ~1e-9, i.e. 1e-6 of the 1e-3 floor, and random cases land at 1.0–1.6e-6 from noise alone; at
 * 1e-5 the worst over ~500 random cases was 2.2e-7 (truncation error ~eps² stays far below).
 */
function worstRelativeError(f: () => number, data: Float64Array | Float32Array, analytic: ArrayLike<number>, eps = 1e-5): number {
  expect(analytic.length).toBe(data.length);
  let worst = 0;
  for (let k = 0; k < data.length; k++) {
    const n = centralDifference(f, data, k, eps);
    const a = analytic[k];
    worst = Math.max(worst, Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), 1e-3));
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------
// 1. Golden values
// ---------------------------------------------------------------------------------------------

describe('LSTM golden values', () => {
  // Fixed small weights: I = 2, H = 3, T = 3, B = 2 (values chosen by formula, not at random).
  const I = 2, H = 3, T = 3, B = 2;
  const W = Array.from({ length: I }, (_, p) => Array.from({ length: 4 * H }, (_, k) => 0.1 * (((p * 12 + k) % 7) - 3)));
  const U = Array.from({ length: H }, (_, q) => Array.from({ length: 4 * H }, (_, k) => 0.15 * (((q * 12 + k) % 5) - 2)));
  const bias = Array.from({ length: 4 * H }, (_, k) => 0.1 * ((k % 4) - 1) + (k >= H && k < 2 * H ? 1 : 0));
  const x = [
    [[0.5, -1], [1, 0.25], [-0.5, 0.75]],
    [[0, 1], [-1, -0.5], [0.3, 0.2]],
  ];
  const variants: [Act, Rec, boolean, boolean][] = [];
  for (const act of ['tanh', 'relu', 'linear'] as Act[]) {
    for (const rec of ['sigmoid', 'hardSigmoid'] as Rec[]) {
      for (const returnSequences of [false, true]) for (const useBias of [true, false]) variants.push([act, rec, returnSequences, useBias]);
    }
  }

  it.each(variants)('activation %s, recurrentActivation %s, returnSequences %s, useBias %s: outputs and every gradient match the reference to 1e-12', (act, rec, returnSequences, useBias) => {
    const layer = new LSTM({ units: H, activation: act, recurrentActivation: rec, returnSequences, useBias, dtype: 'float64' });
    layer.build([null, T, I]);
    layer.setWeights(useBias ? [W, U, bias] : [W, U]);
    const yShape = returnSequences ? [B, T, H] : [B, H];
    const dyCount = yShape.reduce((p, d) => p * d, 1);
    const dy = Array.from({ length: dyCount }, (_, k) => 0.25 * ((k % 5) - 2) + 0.1);

    const y = layer.forward(tensor(x, undefined, 'float64'));
    const dx = layer.backward(tensor(dy, yShape, 'float64'));
    const ref = reference({ W, U, b: useBias ? bias : null, act, rec, returnSequences }, x, dy);

    expect(y.shape).toEqual(yShape);
    expect(dx.shape).toEqual([B, T, I]);
    expect(maxAbsDiff(y.data, ref.y)).toBeLessThan(1e-12);
    expect(maxAbsDiff(dx.data, ref.dx)).toBeLessThan(1e-12);
    const grads = layer.getGradients();
    expect(grads.length).toBe(useBias ? 3 : 2);
    expect(maxAbsDiff(grads[0].data, ref.dW.flat())).toBeLessThan(1e-12);
    expect(maxAbsDiff(grads[1].data, ref.dU.flat())).toBeLessThan(1e-12);
    if (useBias) expect(maxAbsDiff(grads[2].data, ref.db)).toBeLessThan(1e-12);
    const [dh0, dc0] = layer.getInitialStateGradients();
    expect(maxAbsDiff(dh0.data, ref.dh0.flat())).toBeLessThan(1e-12);
    expect(maxAbsDiff(dc0.data, ref.dc0.flat())).toBeLessThan(1e-12);
    // Sanity: the case is not degenerate (the gradients are not all zero).
    expect(Math.max(...Array.from(grads[1].data, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('matches the reference from a nonzero carried state (stateful), including dh0 and dc0', () => {
    const layer = new LSTM({ units: H, stateful: true, batchInputShape: [B, T, I], returnSequences: true, dtype: 'float64' });
    layer.build([B, T, I]);
    layer.setWeights([W, U, bias]);
    const h0 = [[0.3, -0.2, 0.1], [-0.5, 0.4, 0.0]];
    const c0 = [[1.0, -0.7, 0.2], [0.1, 0.9, -1.2]];
    layer.resetStates([h0, c0]);
    const dy = Array.from({ length: B * T * H }, (_, k) => Math.cos(k));
    const y = layer.forward(tensor(x, undefined, 'float64'));
    layer.backward(tensor(dy, [B, T, H], 'float64'));
    const ref = reference({ W, U, b: bias, act: 'tanh', rec: 'sigmoid', returnSequences: true }, x, dy, h0, c0);
    expect(maxAbsDiff(y.data, ref.y)).toBeLessThan(1e-12);
    const [dK, dR, dB] = layer.getGradients();
    expect(maxAbsDiff(dK.data, ref.dW.flat())).toBeLessThan(1e-12);
    expect(maxAbsDiff(dR.data, ref.dU.flat())).toBeLessThan(1e-12);
    expect(maxAbsDiff(dB.data, ref.db)).toBeLessThan(1e-12);
    const [dh0, dc0] = layer.getInitialStateGradients();
    expect(maxAbsDiff(dh0.data, ref.dh0.flat())).toBeLessThan(1e-12);
    expect(maxAbsDiff(dc0.data, ref.dc0.flat())).toBeLessThan(1e-12);
    // The carried state after the call is the last step's (h_T, c_T).
    const [hT] = layer.getStates();
    expect(maxAbsDiff(hT.data, [...ref.y.slice((T - 1) * H, T * H), ...ref.y.slice((2 * T - 1) * H, 2 * T * H)])).toBeLessThan(1e-12);
  });

  it('I = 1, H = 1, T = 1 worked by hand (hardSigmoid gates, linear cell: exact arithmetic)', () => {
    // Weights, gate order i, f, c, o:
    //   W = [0.5, 0.25, 1.5, -0.5], U = [0.2, -0.4, 0.6, 0.8], b = [0, 1, 0, 0]
    //   x = 2, h0 = 0.5, c0 = -1 (set through resetStates on a stateful layer), L = 2·h (dy = 2).
    // Forward:
    //   z   = x·W + h0·U + b = [1 + 0.1 + 0, 0.5 - 0.2 + 1, 3 + 0.3 + 0, -1 + 0.4 + 0] = [1.1, 1.3, 3.3, -0.6]
    //   i   = 0.2·1.1 + 0.5 = 0.72;  f = 0.2·1.3 + 0.5 = 0.76;  g = 3.3 (linear);  o = 0.2·(-0.6) + 0.5 = 0.38
    //   c   = f·c0 + i·g = -0.76 + 2.376 = 1.616
    //   h   = o·c = 0.38·1.616 = 0.61408
    // Backward (dh = 2):
    //   do  = dh·c = 3.232;  dc = dh·o·1 = 0.76
    //   di  = dc·g = 2.508;  dg = dc·i = 0.5472;  df = dc·c0 = -0.76;  dc0 = dc·f = 0.5776
    //   dz  = [0.2·2.508, 0.2·(-0.76), 0.5472, 0.2·3.232] = [0.5016, -0.152, 0.5472, 0.6464]
    //   dW  = x·dz  = [1.0032, -0.304, 1.0944, 1.2928]
    //   dU  = h0·dz = [0.2508, -0.076, 0.2736, 0.3232]
    //   db  = dz
    //   dx  = W·dz  = 0.2508 - 0.038 + 0.8208 - 0.3232 = 0.7104
    //   dh0 = U·dz  = 0.10032 + 0.0608 + 0.32832 + 0.51712 = 1.00656
    const layer = new LSTM({ units: 1, recurrentActivation: 'hardSigmoid', activation: 'linear', stateful: true, batchInputShape: [1, 1, 1], dtype: 'float64' });
    layer.build([1, 1, 1]);
    layer.setWeights([[[0.5, 0.25, 1.5, -0.5]], [[0.2, -0.4, 0.6, 0.8]], [0, 1, 0, 0]]);
    layer.resetStates([[[0.5]], [[-1]]]);
    const y = layer.forward(tensor([[[2]]], undefined, 'float64'));
    expect(y.shape).toEqual([1, 1]);
    expect(y.data[0]).toBeCloseTo(0.61408, 12);
    const dx = layer.backward(tensor([[2]], undefined, 'float64'));
    expect(dx.data[0]).toBeCloseTo(0.7104, 12);
    const [dW, dU, db] = layer.getGradients();
    const expectClose = (got: ArrayLike<number>, want: number[]): void => expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
    expectClose(dW.data, [1.0032, -0.304, 1.0944, 1.2928]);
    expectClose(dU.data, [0.2508, -0.076, 0.2736, 0.3232]);
    expectClose(db.data, [0.5016, -0.152, 0.5472, 0.6464]);
    const [dh0, dc0] = layer.getInitialStateGradients();
    expect(dh0.data[0]).toBeCloseTo(1.00656, 12);
    expect(dc0.data[0]).toBeCloseTo(0.5776, 12);
    expect(layer.getStates()[1].data[0]).toBeCloseTo(1.616, 12); // the carried c_T
  });

  it('I = 1, H = 1, T = 1 worked by hand with the defaults (sigmoid gates, tanh cell), formulas in closed form', () => {
    // W = [1, 2, 0.5, -1], U = [3, 3, 3, 3] (unused in value: h0 = 0), b = [0, 1, 0, 0], x = 1, dy = 1.
    //   z = [1, 3, 0.5, -1];  i = σ(1), f = σ(3), g = tanh(0.5), o = σ(-1);  c = i·g (c0 = 0);  h = o·tanh(c)
    //   do = tanh(c);  dc = o·(1 - tanh²c);  dz = [dc·g·i(1-i), dc·0·f(1-f) = 0, dc·i·(1-g²), do·o(1-o)]
    //   dW = x·dz = dz;  dU = h0·dz = 0;  db = dz;  dx = Σ W·dz;  dh0 = Σ U·dz = 3·Σ dz;  dc0 = dc·f
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    const i = s(1), f = s(3), g = Math.tanh(0.5), o = s(-1);
    const c = i * g;
    const h = o * Math.tanh(c);
    const dO = Math.tanh(c);
    const dc = o * (1 - Math.tanh(c) ** 2);
    const dz = [dc * g * i * (1 - i), 0, dc * i * (1 - g * g), dO * o * (1 - o)];
    const layer = new LSTM({ units: 1, dtype: 'float64' });
    layer.build([null, 1, 1]);
    layer.setWeights([[[1, 2, 0.5, -1]], [[3, 3, 3, 3]], [0, 1, 0, 0]]);
    const y = layer.forward(tensor([[[1]]], undefined, 'float64'));
    expect(Math.abs(y.data[0] - h)).toBeLessThan(1e-12);
    const dx = layer.backward(tensor([[1]], undefined, 'float64'));
    expect(Math.abs(dx.data[0] - (dz[0] * 1 + dz[1] * 2 + dz[2] * 0.5 - dz[3]))).toBeLessThan(1e-12);
    const [dW, dU, db] = layer.getGradients();
    expect(maxAbsDiff(dW.data, dz)).toBeLessThan(1e-12);
    expect(maxAbsDiff(dU.data, [0, 0, 0, 0])).toBe(0);
    expect(maxAbsDiff(db.data, dz)).toBeLessThan(1e-12);
    const [dh0, dc0] = layer.getInitialStateGradients();
    expect(Math.abs(dh0.data[0] - 3 * (dz[0] + dz[1] + dz[2] + dz[3]))).toBeLessThan(1e-12);
    expect(Math.abs(dc0.data[0] - dc * f)).toBeLessThan(1e-12);
  });
});

// ---------------------------------------------------------------------------------------------
// 2 and 3. Finite differences
// ---------------------------------------------------------------------------------------------

interface GradCase {
  B: number;
  T: number;
  I: number;
  H: number;
  returnSequences: boolean;
  rec: Rec;
  act: Act;
  useBias: boolean;
  stateful: boolean;
  firstT: number; // stateful: the length of the first batch that produces the carried state
  seed: number;
}

const gradCaseArb: fc.Arbitrary<GradCase> = fc.record({
  B: fc.integer({ min: 1, max: 4 }),
  T: fc.integer({ min: 1, max: 6 }),
  I: fc.integer({ min: 1, max: 7 }),
  H: fc.integer({ min: 1, max: 9 }),
  returnSequences: fc.boolean(),
  rec: fc.constantFrom<Rec>('sigmoid', 'hardSigmoid'),
  act: fc.constantFrom<Act>('tanh', 'tanh', 'relu', 'linear'),
  useBias: fc.boolean(),
  stateful: fc.boolean(),
  firstT: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
});

/**
 * Sets up a float64 layer with random weights and, when stateful, runs a first batch so the
 * carried state is nonzero. Returns the layer, the input x, the fixed random r of the
 * objective L = Σ y ⊙ r, and the carried states (also as nested arrays for the reference).
 */
function setUpGradCase(c: GradCase) {
  const rng = mulberry32(c.seed);
  const options: LSTMOptions = {
    units: c.H,
    dtype: 'float64',
    returnSequences: c.returnSequences,
    recurrentActivation: c.rec,
    activation: c.act,
    useBias: c.useBias,
    ...(c.stateful ? { stateful: true, batchInputShape: [c.B, c.T, c.I] } : {}),
  };
  const layer = new LSTM(options);
  layer.build([c.stateful ? c.B : null, c.T, c.I]);
  const G = 4 * c.H;
  const weights = [new Tensor(uniform(rng, c.I * G), [c.I, G]), new Tensor(uniform(rng, c.H * G, 0.7), [c.H, G])];
  if (c.useBias) weights.push(new Tensor(uniform(rng, G, 0.5), [G]));
  layer.setWeights(weights);

  let states: Tensor[] | undefined;
  let h0: number[][] | undefined;
  let c0: number[][] | undefined;
  if (c.stateful) {
    layer.forward(new Tensor(uniform(rng, c.B * c.firstT * c.I), [c.B, c.firstT, c.I]));
    states = layer.getStates();
    h0 = nested2(states[0].data, c.B, c.H);
    c0 = nested2(states[1].data, c.B, c.H);
  }
  const x = new Tensor(uniform(rng, c.B * c.T * c.I), [c.B, c.T, c.I]);
  const yShape = c.returnSequences ? [c.B, c.T, c.H] : [c.B, c.H];
  const r = new Tensor(uniform(rng, yShape.reduce((p, d) => p * d, 1)), yShape);
  return { layer, x, r, states, h0, c0 };
}

/**
 * True when a perturbation of ~1e-5 could cross a kink (hardSigmoid at ±2.5, relu at 0).
 * A cell value of exactly 0 (g = 0 and c_{t-1} = 0) stays 0 under any weight or input
 * perturbation, but not under a perturbation of c0 itself: pass stateEntries = true then.
 */
function nearKink(c: GradCase, ref: RefResult, stateEntries = false): boolean {
  const margin = 1e-4;
  if (c.rec === 'hardSigmoid' && ref.gatePre.some((z) => Math.abs(Math.abs(z) - 2.5) < margin)) return true;
  if (c.act === 'relu' && ref.cellPre.some((z) => (stateEntries || z !== 0) && Math.abs(z) < margin)) return true;
  return false;
}

describe('LSTM gradients by central finite differences (float64)', () => {
  it('every parameter and input entry, over random shapes and options (incl. stateful second batch)', () => {
    let checked = 0;
    fc.assert(
      fc.property(gradCaseArb, (c) => {
        const { layer, x, r, states, h0, c0 } = setUpGradCase(c);
        const loss = (): number => {
          if (states) layer.resetStates(states);
          return dot(layer.forward(x).data, r.data);
        };
        const ref = reference(refModelOf(layer, c.I, c.H), nested3(x.data, c.B, c.T, c.I), r.data, h0, c0);
        if (nearKink(c, ref)) return; // a central difference across a kink is meaningless
        loss();
        const dx = layer.backward(r).data.slice();
        const grads = layer.getGradients().map((g) => g.data.slice());
        const live = layer.trainableWeights;
        expect(live.length).toBe(c.useBias ? 3 : 2);
        let worst = 0;
        live.forEach((w, n) => (worst = Math.max(worst, worstRelativeError(loss, w.data, grads[n]))));
        worst = Math.max(worst, worstRelativeError(loss, x.data, dx));
        expect(worst).toBeLessThan(1e-6);
        checked++;
      }),
      { numRuns: 60, seed: 20240611 },
    );
    expect(checked).toBeGreaterThan(50); // few cases were skipped for kinks
  });

  it('the gradient with respect to the initial state (dh0, dc0), through resetStates([h0, c0])', () => {
    let checked = 0;
    fc.assert(
      fc.property(gradCaseArb, (raw) => {
        const c = { ...raw, stateful: true };
        const { layer, x, r, states, h0, c0 } = setUpGradCase(c);
        const [hState, cState] = states!;
        const ref = reference(refModelOf(layer, c.I, c.H), nested3(x.data, c.B, c.T, c.I), r.data, h0, c0);
        if (nearKink(c, ref, true)) return;
        const loss = (): number => {
          layer.resetStates([hState, cState]);
          return dot(layer.forward(x).data, r.data);
        };
        loss();
        layer.backward(r);
        const [dh0, dc0] = layer.getInitialStateGradients();
        expect(dh0.shape).toEqual([c.B, c.H]);
        const worst = Math.max(worstRelativeError(loss, hState.data, dh0.data), worstRelativeError(loss, cState.data, dc0.data));
        expect(worst).toBeLessThan(1e-6);
        checked++;
      }),
      { numRuns: 40, seed: 7 },
    );
    expect(checked).toBeGreaterThan(30); // few cases were skipped for kinks
  });

  it('backward replaces the gradients (a second backward gives the same, not the double)', () => {
    const c: GradCase = { B: 2, T: 3, I: 2, H: 3, returnSequences: true, rec: 'sigmoid', act: 'tanh', useBias: true, stateful: false, firstT: 1, seed: 3 };
    const { layer, x, r } = setUpGradCase(c);
    layer.forward(x);
    const dx1 = layer.backward(r).data.slice();
    const g1 = layer.getGradients().map((g) => g.data.slice());
    const dx2 = layer.backward(r).data;
    const g2 = layer.getGradients();
    expect(maxAbsDiff(dx1, dx2)).toBe(0);
    g2.forEach((g, n) => expect(maxAbsDiff(g.data, g1[n])).toBe(0));
    expect(Math.max(...Array.from(g1[0], Math.abs))).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Equivalences
// ---------------------------------------------------------------------------------------------

function concatTime(a: Tensor, b: Tensor): Tensor {
  const [B, T1, n] = a.shape;
  const T2 = b.shape[1];
  const out = new Float64Array(B * (T1 + T2) * n);
  for (let s = 0; s < B; s++) {
    out.set(a.data.subarray(s * T1 * n, (s + 1) * T1 * n), s * (T1 + T2) * n);
    out.set(b.data.subarray(s * T2 * n, (s + 1) * T2 * n), s * (T1 + T2) * n + T1 * n);
  }
  return new Tensor(out, [B, T1 + T2, n]);
}

describe('LSTM equivalences', () => {
  const shapes = fc.record({
    B: fc.integer({ min: 1, max: 4 }),
    T1: fc.integer({ min: 1, max: 5 }),
    T2: fc.integer({ min: 1, max: 5 }),
    I: fc.integer({ min: 1, max: 5 }),
    H: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

  it('stateful over two batches of T1 and T2 steps = one stateless forward over T1 + T2 steps', () => {
    fc.assert(
      fc.property(shapes, ({ B, T1, T2, I, H, seed }) => {
        setSeed(seed);
        const stateful = new LSTM({ units: H, returnSequences: true, stateful: true, batchInputShape: [B, null as unknown as number, I] /* time steps vary; the type says number[] */, dtype: 'float64' });
        const plain = new LSTM({ units: H, returnSequences: true, dtype: 'float64' });
        stateful.build([B, null, I]);
        plain.build([null, null, I]);
        plain.setWeights(stateful.getWeights());
        const rng = mulberry32(seed);
        const x1 = new Tensor(uniform(rng, B * T1 * I), [B, T1, I]);
        const x2 = new Tensor(uniform(rng, B * T2 * I), [B, T2, I]);
        const y1 = stateful.forward(x1);
        const y2 = stateful.forward(x2);
        const y = plain.forward(concatTime(x1, x2));
        expect(maxAbsDiff(concatTime(y1, y2).data, y.data)).toBeLessThan(1e-12);
        // And resetStates() really starts over: the first batch again gives y1.
        stateful.resetStates();
        expect(maxAbsDiff(stateful.forward(x1).data, y1.data)).toBe(0);
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it('sequential = unrolled: T one-step calls on a stateful layer give the outputs of one T-step call', () => {
    fc.assert(
      fc.property(shapes, ({ B, T1: T, I, H, seed }) => {
        setSeed(seed);
        const stepwise = new LSTM({ units: H, stateful: true, batchInputShape: [B, 1, I], dtype: 'float64' });
        stepwise.build([B, 1, I]);
        const whole = new LSTM({ units: H, returnSequences: true, dtype: 'float64' });
        whole.build([null, T, I]);
        whole.setWeights(stepwise.getWeights());
        const x = new Tensor(uniform(mulberry32(seed), B * T * I), [B, T, I]);
        const y = whole.forward(x);
        for (let t = 0; t < T; t++) {
          const xt = new Float64Array(B * I);
          for (let s = 0; s < B; s++) xt.set(x.data.subarray((s * T + t) * I, (s * T + t + 1) * I), s * I);
          const yt = stepwise.forward(new Tensor(xt, [B, 1, I]));
          const want = new Float64Array(B * H);
          for (let s = 0; s < B; s++) want.set(y.data.subarray((s * T + t) * H, (s * T + t + 1) * H), s * H);
          expect(maxAbsDiff(yt.data, want)).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 40, seed: 12 },
    );
  });

  it('permuting the samples of a batch permutes the outputs and dx, and leaves the weight gradients', () => {
    fc.assert(
      fc.property(shapes, fc.boolean(), ({ B, T1: T, I, H, seed }, returnSequences) => {
        setSeed(seed);
        const layer = new LSTM({ units: H, returnSequences, dtype: 'float64' });
        const rng = mulberry32(seed);
        const x = new Tensor(uniform(rng, B * T * I), [B, T, I]);
        const perm = Array.from({ length: B }, (_, s) => s).reverse();
        const xp = new Float64Array(x.size);
        perm.forEach((from, to) => xp.set(x.data.subarray(from * T * I, (from + 1) * T * I), to * T * I));
        const y = layer.forward(x);
        const per = y.size / B; // values per sample in y
        const r = new Tensor(uniform(rng, y.size), [...y.shape]);
        const dx = layer.backward(r).data.slice();
        const g = layer.getGradients().map((t) => t.data.slice());
        const rp = new Float64Array(r.size);
        perm.forEach((from, to) => rp.set(r.data.subarray(from * per, (from + 1) * per), to * per));
        const yp = layer.forward(new Tensor(xp, [B, T, I]));
        const dxp = layer.backward(new Tensor(rp, [...y.shape])).data;
        perm.forEach((from, to) => {
          expect(maxAbsDiff(yp.data.subarray(to * per, (to + 1) * per), y.data.subarray(from * per, (from + 1) * per))).toBe(0);
          expect(maxAbsDiff(dxp.subarray(to * T * I, (to + 1) * T * I), dx.subarray(from * T * I, (from + 1) * T * I))).toBeLessThan(1e-12);
        });
        layer.getGradients().forEach((t, n) => expect(maxAbsDiff(t.data, g[n])).toBeLessThan(1e-12));
      }),
      { numRuns: 30, seed: 13 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 5. float32 and float64
// ---------------------------------------------------------------------------------------------

describe('LSTM float32 and float64', () => {
  it('forwards agree within 1e-5 on the same weights', () => {
    fc.assert(
      fc.property(gradCaseArb, (c) => {
        const { layer: f64, x } = setUpGradCase({ ...c, stateful: false });
        const f32 = new LSTM({ units: c.H, returnSequences: c.returnSequences, recurrentActivation: c.rec, activation: c.act, useBias: c.useBias });
        expect(f32.dtype).toBe('float32');
        f32.build([null, c.T, c.I]);
        f32.setWeights(f64.getWeights());
        const y32 = f32.forward(x); // x is float64: converted to float32 by the layer
        expect(y32.dtype).toBe('float32');
        const y64 = f64.forward(x);
        expect(maxAbsDiff(y32.data, y64.data)).toBeLessThan(1e-5);
        // float32 gradients come out in float32 and close to float64's.
        const r = new Tensor(new Float64Array(y64.size).fill(1), [...y64.shape]);
        const dx32 = f32.backward(r);
        expect(dx32.dtype).toBe('float32');
        expect(maxAbsDiff(dx32.data, f64.backward(r).data)).toBeLessThan(1e-4);
      }),
      { numRuns: 40, seed: 5 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Initialisation
// ---------------------------------------------------------------------------------------------

describe('LSTM initialisation', () => {
  it('parameter count is 4·(H·(I + H) + H), and 4·H·(I + H) without a bias', () => {
    for (const [I, H] of [[1, 1], [5, 20], [3, 7]]) {
      const layer = new LSTM({ units: H });
      layer.build([null, null, I]);
      expect(layer.countParams()).toBe(4 * (H * (I + H) + H));
      expect(layer.getWeights().map((w) => w.shape)).toEqual([[I, 4 * H], [H, 4 * H], [4 * H]]);
      expect(layer.weightNames).toEqual(['kernel', 'recurrent_kernel', 'bias']);
      const noBias = new LSTM({ units: H, useBias: false });
      noBias.build([null, null, I]);
      expect(noBias.countParams()).toBe(4 * H * (I + H));
      expect(noBias.getWeights().length).toBe(2);
      expect(noBias.weightNames).toEqual(['kernel', 'recurrent_kernel']);
    }
  });

  it('the orthogonal recurrent kernel R [H, 4H] has R·Rᵀ = I (1e-5)', () => {
    const H = 6;
    const layer = new LSTM({ units: H });
    layer.build([null, null, 3]);
    const R = layer.getWeights()[1].data;
    let worst = 0;
    for (let a = 0; a < H; a++) {
      for (let b = 0; b < H; b++) {
        let s = 0;
        for (let k = 0; k < 4 * H; k++) s += R[a * 4 * H + k] * R[b * 4 * H + k];
        worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('bias: forget block 1 and the rest 0 by default; all zeros with unitForgetBias false', () => {
    const H = 4;
    const layer = new LSTM({ units: H });
    layer.build([null, null, 2]);
    const b = Array.from(layer.getWeights()[2].data);
    expect(b).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const plain = new LSTM({ units: H, unitForgetBias: false });
    plain.build([null, null, 2]);
    expect(Array.from(plain.getWeights()[2].data)).toEqual(new Array(4 * H).fill(0));
    const ones = new LSTM({ units: H, biasInitializer: 'ones' });
    ones.build([null, null, 2]);
    expect(Array.from(ones.getWeights()[2].data)).toEqual(new Array(4 * H).fill(1));
  });

  it('glorot-uniform kernel stays within sqrt(6 / (I + 4H)) and spans most of it', () => {
    const I = 5, H = 8;
    const layer = new LSTM({ units: H });
    layer.build([null, null, I]);
    const limit = Math.sqrt(6 / (I + 4 * H));
    const k = Array.from(layer.getWeights()[0].data, Math.abs);
    expect(Math.max(...k)).toBeLessThanOrEqual(limit);
    expect(Math.max(...k)).toBeGreaterThan(0.9 * limit); // 160 draws: the largest is near the limit
  });

  it('the same seed gives identical weights; another seed does not', () => {
    const make = (seed: number): Tensor[] => {
      setSeed(seed);
      const layer = new LSTM({ units: 3 });
      layer.build([null, null, 2]);
      return layer.getWeights();
    };
    const a = make(42), b = make(42), c = make(43);
    a.forEach((w, n) => expect(Array.from(w.data)).toEqual(Array.from(b[n].data)));
    expect(Array.from(a[0].data)).not.toEqual(Array.from(c[0].data));
  });

  it('getConfig lists every field, and new LSTM(config) gives the same config back', () => {
    const layer = new LSTM({ units: 4, recurrentActivation: 'hard_sigmoid', kernelInitializer: 'glorot_normal', stateful: true, batchInputShape: [2, 3, 5], returnSequences: true });
    const { className, config } = layer.getConfig();
    expect(className).toBe('LSTM');
    expect(config).toEqual({
      name: layer.name,
      units: 4,
      activation: 'tanh',
      recurrentActivation: 'hardSigmoid',
      useBias: true,
      kernelInitializer: 'glorotNormal',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      unitForgetBias: true,
      returnSequences: true,
      stateful: true,
      maskValue: null,
      goBackwards: false,
      dropout: 0,
      dtype: 'float32',
      batchInputShape: [2, 3, 5],
    });
    expect(new LSTM(config as unknown as LSTMOptions).getConfig().config).toEqual(config);
    const defaults = new LSTM({ units: 2 }).getConfig().config;
    expect(defaults.batchInputShape).toBeNull();
    expect(new LSTM(defaults as unknown as LSTMOptions).getConfig().config).toEqual(defaults);
  });

  it('names are lstm_N, shapes follow returnSequences, and stateful is reported', () => {
    const a = new LSTM({ units: 2 });
    const b = new LSTM({ units: 2, returnSequences: true });
    expect(a.name).toMatch(/^lstm_\d+$/);
    expect(Number(b.name.slice(5))).toBe(Number(a.name.slice(5)) + 1);
    expect(a.computeOutputShape([null, 7, 3])).toEqual([null, 2]);
    expect(b.computeOutputShape([null, 7, 3])).toEqual([null, 7, 2]);
    expect(a.stateful).toBe(false);
    expect(a.getStates()).toEqual([]);
    expect(new LSTM({ units: 2, stateful: true, batchInputShape: [1, 1, 1] }).stateful).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Bad input
// ---------------------------------------------------------------------------------------------

describe('LSTM bad input', () => {
  const built = (options: Partial<LSTMOptions> = {}): LSTM => {
    const layer = new LSTM({ units: 3, name: 'bad', ...options });
    layer.build([options.batchInputShape?.[0] ?? null, null, 2]);
    return layer;
  };

  it('wrong rank', () => {
    expect(() => built().forward(tensor([[1, 2], [3, 4]]))).toThrow(/LSTM bad: input x has shape \[2, 2\]; expected rank 3, \[batch, timeSteps, features\]/);
  });

  it('wrong feature count', () => {
    expect(() => built().forward(tensor([[[1, 2, 3]]]))).toThrow(/LSTM bad: input x has shape \[1, 1, 3\] with 3 features; expected 2 features/);
  });

  it('NaN or Infinity in x', () => {
    expect(() => built().forward(tensor([[[1, 2], [NaN, 0]]]))).toThrow(/LSTM bad: input x: expected finite numbers, got NaN at index \[0, 1, 0\]/);
    expect(() => built().forward(tensor([[[Infinity, 2]]]))).toThrow(/got Infinity at index \[0, 0, 0\]/);
  });

  it('setWeights with wrong shapes is refused and leaves the weights unchanged', () => {
    const layer = built();
    const before = layer.getWeights().map((w) => Array.from(w.data));
    const bad = layer.getWeights();
    bad[0] = new Tensor(new Float32Array(2 * 12).fill(5), [2, 12]); // right shape, but…
    bad[1] = new Tensor(new Float32Array(2 * 12), [2, 12]); //          …recurrent kernel wrong
    expect(() => layer.setWeights(bad)).toThrow(/weight 1 \(recurrent_kernel\) has shape \[2, 12\], expected \[3, 12\]/);
    expect(() => layer.setWeights(bad.slice(0, 2))).toThrow(/expected 3 weights \(kernel, recurrent_kernel, bias\), got 2/);
    layer.getWeights().forEach((w, n) => expect(Array.from(w.data)).toEqual(before[n]));
  });

  it('stateful: batch size mismatch, and batchInputShape required', () => {
    const layer = new LSTM({ units: 3, name: 'st', stateful: true, batchInputShape: [2, 1, 2] });
    expect(() => layer.forward(tensor([[[1, 2]]]))).toThrow(/LSTM st: input x has batch size 1 \(shape \[1, 1, 2\]\); expected 2: a stateful layer's batch size is fixed by its batchInputShape, \[2, 1, 2\]/);
    // Without a batchInputShape of its own, the batch size must come from the input shape it is built with.
    expect(() => new LSTM({ units: 3, name: 'st2', stateful: true }).forward(tensor([[[1, 2]]]))).toThrow(/LSTM st2: stateful: true needs the batch size fixed; got input shape \[null, null, 2\], expected batchInputShape \[batchSize, timeSteps, features\] on this layer or on the model's first layer \(the number of samples must then be a multiple of batchSize\)/);
    const stacked = new LSTM({ units: 3, name: 'st4', stateful: true });
    stacked.build([2, 1, 5]);
    expect(stacked.getStates()[0].shape).toEqual([2, 3]);
    expect(() => new LSTM({ units: 3, name: 'st3', stateful: true, inputShape: [1, 2] })).toThrow(/needs the batch size fixed; got input shape \[null, 1, 2\]/);
    expect(() => layer.resetStates([tensor([[1, 2, 3]]), tensor([[1, 2, 3]])])).toThrow(/LSTM st.resetStates: got states, but the layer is not built yet/);
    layer.build([2, 1, 2]);
    expect(() => layer.resetStates([tensor([[1, 2, 3]]), tensor([[1, 2, 3]])])).toThrow(/LSTM st.resetStates: states\[0\] \(h\) has shape \[1, 3\]; expected \[2, 3\]/);
    expect(layer.getStates()[0].data.every((v) => v === 0)).toBe(true);
  });

  it('unknown option keys and bad option values', () => {
    expect(() => new LSTM({ units: 3, returnSequence: true } as unknown as LSTMOptions)).toThrow(/unknown option 'returnSequence'; expected one of .*'returnSequences'/);
    expect(() => new LSTM({ units: 3, name: 'act', activation: 'swish' as LSTMActivation })).toThrow(/LSTM act: activation: unknown activation "swish"; expected one of 'tanh', 'relu', 'linear'/);
    expect(() => new LSTM({ units: 3, name: 'rec', recurrentActivation: 'tanh' as LSTMRecurrentActivation })).toThrow(/LSTM rec: recurrentActivation: unknown activation "tanh"; expected one of 'sigmoid', 'hardSigmoid'/);
    expect(() => new LSTM({ units: 0, name: 'u' })).toThrow(/LSTM u: units: expected a positive integer, got 0/);
    expect(() => new LSTM({ name: 'nou' } as LSTMOptions)).toThrow(/LSTM nou: units is required/);
    expect(() => new LSTM({ units: 2, name: 'ki', kernelInitializer: 'he' as 'zeros' })).toThrow(/LSTM ki: kernelInitializer: unknown initializer "he"/);
    expect(() => new LSTM({ units: 2, name: 'ub', useBias: 1 as unknown as boolean })).toThrow(/LSTM ub: useBias: expected true or false, got 1/);
  });

  it('backward before forward, and dy of the wrong shape', () => {
    const layer = built();
    expect(() => layer.backward(tensor([[1, 2, 3]]))).toThrow(/LSTM bad.backward: there is no forward pass to differentiate; call forward\(x\) first/);
    expect(() => layer.getInitialStateGradients()).toThrow(/no backward pass yet/);
    layer.forward(tensor([[[1, 2], [3, 4]]]));
    expect(() => layer.backward(tensor([[1, 2]]))).toThrow(/LSTM bad.backward: output gradient dy has shape \[1, 2\]; expected \[1, 3\], the shape of the last forward's output/);
    const seq = built({ returnSequences: true, name: 'seq' });
    seq.forward(tensor([[[1, 2], [3, 4]]]));
    expect(() => seq.backward(tensor([[1, 2, 3]]))).toThrow(/dy has shape \[1, 3\]; expected \[1, 2, 3\]/);
  });
});
