/**
 * Shared helpers for the test/model-*.test.ts files (not a test file itself):
 *   - an independent float64 reference of LSTM, Dense and the four losses, written per sample
 *     over plain arrays, sharing no code with src/ (so model figures can be checked against it);
 *   - snapshots of everything a failed call must leave alone (weights, optimizer state, layer states);
 *   - bit-exact comparison of tensors;
 *   - small data builders (one-hot, random tensors from a private generator).
 */
import { expect } from 'vitest';
import { Dense, LSTM, Sequential, Tensor, tensor, type Layer } from '../src/index.js';
import { mulberry32 } from './helpers/random.js';

// ---------------------------------------------------------------------------------------------
// A private generator for test data (never touches the library's setSeed stream).
// ---------------------------------------------------------------------------------------------

/** Seeded test data (mulberry32, seed 0 read as 1). */
export function rng(seed: number): () => number {
  return mulberry32((seed >>> 0) || 1);
}

/** Uniform values in [lo, hi) as a tensor of the given shape. */
export function randomTensor(shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float64', lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * r();
  return tensor(data, shape);
}

/** Random one-hot rows: shape [...lead, classes]. */
export function randomOneHot(lead: number[], classes: number, seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const r = rng(seed);
  const rows = lead.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(rows * classes) : new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) data[i * classes + Math.floor(r() * classes)] = 1;
  return tensor(data, [...lead, classes]);
}

export function oneHotRows(indices: number[], classes: number): number[][] {
  return indices.map((k) => Array.from({ length: classes }, (_, j) => (j === k ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// Independent reference (float64, per sample).
// ---------------------------------------------------------------------------------------------

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const hardSigmoid = (z: number): number => Math.min(1, Math.max(0, 0.2 * z + 0.5));

function applyAct(name: string, z: number): number {
  switch (name) {
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return z > 0 ? z : 0;
    case 'linear':
      return z;
    case 'sigmoid':
      return sigmoid(z);
    case 'hardSigmoid':
      return hardSigmoid(z);
    default:
      throw new Error(`reference: unknown activation ${name}`);
  }
}

/** A sample's value between layers: a vector [F] or a sequence [T][F]. */
export type SampleValue = number[] | number[][];

export interface LayerStateRef {
  h: number[];
  c: number[];
}

/**
 * The LSTM equations (Keras gate order i, f, c, o) for one sample x [T][I], from (h0, c0).
 * Weights are read from the layer's getWeights() (kernel [I, 4H], recurrent [H, 4H], bias [4H]).
 */
export function refLstm(layer: LSTM, x: number[][], initial?: LayerStateRef): { hs: number[][]; h: number[]; c: number[] } {
  const ws = layer.getWeights();
  const W = Array.from(ws[0].data);
  const U = Array.from(ws[1].data);
  const b = layer.useBias ? Array.from(ws[2].data) : null;
  const H = layer.units;
  const I = ws[0].shape[0];
  const G = 4 * H;
  let h = initial ? [...initial.h] : new Array<number>(H).fill(0);
  let c = initial ? [...initial.c] : new Array<number>(H).fill(0);
  const hs: number[][] = [];
  for (const xt of x) {
    if (xt.length !== I) throw new Error('reference: feature count');
    const z = new Array<number>(G).fill(0);
    for (let g = 0; g < G; g++) {
      let s = b ? b[g] : 0;
      for (let k = 0; k < I; k++) s += xt[k] * W[k * G + g];
      for (let k = 0; k < H; k++) s += h[k] * U[k * G + g];
      z[g] = s;
    }
    const hNext: number[] = [];
    const cNext: number[] = [];
    for (let j = 0; j < H; j++) {
      const i = applyAct(layer.recurrentActivation, z[j]);
      const f = applyAct(layer.recurrentActivation, z[H + j]);
      const g = applyAct(layer.activation, z[2 * H + j]);
      const o = applyAct(layer.recurrentActivation, z[3 * H + j]);
      const cj = f * c[j] + i * g;
      cNext.push(cj);
      hNext.push(o * applyAct(layer.activation, cj));
    }
    h = hNext;
    c = cNext;
    hs.push(h);
  }
  return { hs, h, c };
}

export function refDenseRow(layer: Dense, row: number[]): number[] {
  const ws = layer.getWeights();
  const K = Array.from(ws[0].data);
  const b = layer.useBias ? Array.from(ws[1].data) : null;
  const U = layer.units;
  const I = ws[0].shape[0];
  if (row.length !== I) throw new Error('reference: dense feature count');
  const z: number[] = [];
  for (let j = 0; j < U; j++) {
    let s = b ? b[j] : 0;
    for (let k = 0; k < I; k++) s += row[k] * K[k * U + j];
    z.push(s);
  }
  if (layer.activation === 'softmax') {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / sum);
  }
  return z.map((v) => applyAct(layer.activation, v));
}

/**
 * The model's output for one sample, computed by the reference. `states` (per layer index)
 * gives the initial state of LSTM layers and receives their final state.
 */
export function refForwardSample(model: Sequential, x: SampleValue, states?: Map<number, LayerStateRef>): SampleValue {
  let v: SampleValue = x;
  model.layers.forEach((layer, li) => {
    if (layer instanceof LSTM) {
      const seq = v as number[][];
      const r = refLstm(layer, seq, states?.get(li));
      states?.set(li, { h: r.h, c: r.c });
      v = layer.returnSequences ? r.hs : r.h;
    } else if (layer instanceof Dense) {
      v = Array.isArray(v[0]) ? (v as number[][]).map((row) => refDenseRow(layer, row)) : refDenseRow(layer, v as number[]);
    } else {
      throw new Error('reference: unknown layer');
    }
  });
  return v;
}

/** Split a tensor into its samples as nested arrays. */
export function samplesOf(t: Tensor): SampleValue[] {
  return t.toArray() as SampleValue[];
}

/**
 * Reference predictions of a (possibly stateful) model over all samples in batches of `batch`:
 * sample i of each batch continues from sample i of the previous batch when `carry` holds the
 * per-position states (stateful), else each sample starts from zeros.
 */
export function refPredict(model: Sequential, x: Tensor, options: { batch?: number; carry?: Map<number, LayerStateRef>[] } = {}): SampleValue[] {
  const xs = samplesOf(x);
  const B = options.batch ?? xs.length;
  return xs.map((s, n) => {
    const states = options.carry ? options.carry[n % B] : undefined;
    return refForwardSample(model, s, states);
  });
}

/** Fresh per-position carried states for refPredict. */
export function freshCarry(batch: number): Map<number, LayerStateRef>[] {
  return Array.from({ length: batch }, () => new Map<number, LayerStateRef>());
}

export function flatRows(values: SampleValue[]): number[][] {
  const rows: number[][] = [];
  for (const v of values) {
    if (Array.isArray(v[0])) for (const r of v as number[][]) rows.push(r);
    else rows.push(v as number[]);
  }
  return rows;
}

export function flatten(values: unknown): number[] {
  return Array.isArray(values) ? (values as unknown[]).flatMap((v) => flatten(v)) : [values as number];
}

const EPS = 1e-7;
const clip = (p: number): number => Math.min(1 - EPS, Math.max(EPS, p));

/** Keras-reduced losses on prediction rows and target rows (mean over rows; BCE / MSE also over columns). */
export function refLoss(name: string, pred: number[][], target: number[][] | number[]): number {
  let total = 0;
  if (name === 'categoricalCrossentropy') {
    pred.forEach((p, r) => {
      const s = p.reduce((a, v) => a + v, 0);
      (target as number[][])[r].forEach((t, j) => (total -= t * Math.log(clip(p[j] / s))));
    });
    return total / pred.length;
  }
  if (name === 'sparseCategoricalCrossentropy') {
    pred.forEach((p, r) => {
      const k = (target as number[])[r];
      const c = p.map(clip);
      const s = c.reduce((a, v) => a + v, 0);
      total += Math.log(s) - Math.log(c[k]);
    });
    return total / pred.length;
  }
  let n = 0;
  pred.forEach((p, r) => {
    (target as number[][])[r].forEach((t, j) => {
      n++;
      if (name === 'binaryCrossentropy') total -= t * Math.log(clip(p[j])) + (1 - t) * Math.log(1 - clip(p[j]));
      else if (name === 'meanSquaredError') total += (p[j] - t) ** 2;
      else throw new Error(`reference: unknown loss ${name}`);
    });
  });
  return total / n;
}

// ---------------------------------------------------------------------------------------------
// Snapshots and exact comparisons.
// ---------------------------------------------------------------------------------------------

export interface ModelSnapshot {
  weights: number[][];
  optimizer: { iterations: number; slots: number[][][] } | null;
  states: number[][][];
}

/** Everything a failed call must leave as it was. */
export function snapshot(model: Sequential): ModelSnapshot {
  const state = model.optimizer?.getState();
  return {
    weights: model.built ? model.getWeights().map((w) => Array.from(w.data)) : [],
    optimizer: state === undefined ? null : { iterations: state.iterations, slots: state.slots.map((s) => s.map((t) => Array.from(t.data))) },
    states: model.layers.map((l: Layer) => l.getStates().map((s) => Array.from(s.data))),
  };
}

export function expectUnchanged(model: Sequential, before: ModelSnapshot): void {
  const after = snapshot(model);
  expect(after.weights).toEqual(before.weights);
  expect(after.optimizer).toEqual(before.optimizer);
  expect(after.states).toEqual(before.states);
}

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Same shapes, dtypes and bytes. Reports the first difference. */
export function expectBitIdentical(a: Tensor[] | Tensor, b: Tensor[] | Tensor, what = 'tensor'): void {
  const as = Array.isArray(a) ? a : [a];
  const bs = Array.isArray(b) ? b : [b];
  expect(bs.length, `${what}: count`).toBe(as.length);
  as.forEach((t, i) => {
    expect([...bs[i].shape], `${what} ${i}: shape`).toEqual([...t.shape]);
    expect(bs[i].dtype, `${what} ${i}: dtype`).toBe(t.dtype);
    const x = bytesOf(t);
    const y = bytesOf(bs[i]);
    let first = -1;
    for (let k = 0; k < x.length; k++) {
      if (x[k] !== y[k]) {
        first = k;
        break;
      }
    }
    const bytesPer = t.dtype === 'float64' ? 8 : 4;
    const at = Math.floor(first / bytesPer);
    expect(first, `${what} ${i}: first differing element ${at}: ${t.data[at]} vs ${bs[i].data[at]}`).toBe(-1);
  });
}

/** max |a - b| over two equally long flat lists. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(b.length).toBe(a.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function expectClose(actual: ArrayLike<number> | unknown[], expected: ArrayLike<number> | unknown[], tolerance: number, what = 'values'): void {
  const a = Array.isArray(actual) ? flatten(actual) : Array.from(actual as ArrayLike<number>);
  const e = Array.isArray(expected) ? flatten(expected) : Array.from(expected as ArrayLike<number>);
  expect(a.length, `${what}: length`).toBe(e.length);
  const d = maxAbsDiff(a, e);
  expect(d, `${what}: max |difference|`).toBeLessThan(tolerance);
}

// ---------------------------------------------------------------------------------------------
// Bit-exact snapshots (weights, optimizer state, carried states, built or not).
// ---------------------------------------------------------------------------------------------

/** The bytes of a tensor, as a plain array (so toEqual compares bits: NaN payloads, -0). */
export function bitsOf(t: Tensor): number[] {
  return Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

export interface BitSnapshot {
  built: boolean;
  weights: number[][];
  optimizer: { iterations: number; slots: number[][][] } | null;
  states: number[][][];
}

/** Everything a refused call must leave as it was, bit for bit; reads nothing that would build the model. */
export function bitSnapshot(model: Sequential): BitSnapshot {
  const state = model.optimizer?.getState();
  return {
    built: model.built,
    weights: model.built ? model.getWeights().map(bitsOf) : [],
    optimizer: state === undefined ? null : { iterations: state.iterations, slots: state.slots.map((s) => s.map(bitsOf)) },
    states: model.layers.map((l: Layer) => l.getStates().map(bitsOf)),
  };
}
