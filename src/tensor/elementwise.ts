/**
 * Elementwise kernels on raw typed arrays: the activation functions, and their derivatives
 * written in terms of the activation's *output* (which the layers keep for backward).
 *
 *   sigmoid(x)      = 1 / (1 + e^-x)            sigmoid'  = y (1 - y)
 *   hardSigmoid(x)  = clip(0.2 x + 0.5, 0, 1)   hardSigm' = 0.2 where 0 < y < 1, else 0
 *   hardSigmoidKeras3(x) = relu6(x + 3) / 6     its'      = 1/6 where 0 < y < 1, else 0
 *   tanh(x)                                     tanh'     = 1 - y²
 *   relu(x)         = max(x, 0)                 relu'     = 1 where y > 0, else 0
 *   linear(x)       = x                         linear'   = 1
 *
 * hardSigmoid is Keras 2's definition (slope 0.2, used by the Keras 2.0-2.2 LSTM the tutorials
 * ran on, and TF.js's default). Keras 3 redefined `hard_sigmoid` as relu6(x + 3) / 6, i.e.
 * clip(x/6 + 1/2, 0, 1) (slope 1/6, PyTorch's Hardsigmoid and JAX's hard_sigmoid too): that one is
 * hardSigmoidKeras3, computed in Keras' order (x + 3, clamped to [0, 6], divided by 6) so it gives
 * Keras' bits. Both derivatives are 0 at the clamps, where y is exactly 0 or 1 (as TensorFlow's
 * Relu6Grad is 0 at x + 3 = 0 and 6).
 *
 * Every kernel works on the range [offset, offset + length) and may run in place (out === x).
 */
import type { TypedArray } from './alloc.js';

export type ElementwiseActivation = 'sigmoid' | 'hardSigmoid' | 'hardSigmoidKeras3' | 'tanh' | 'relu' | 'linear';

/** out[i] = f(x[i]) over the range. */
export function activate(kind: ElementwiseActivation, x: TypedArray, out: TypedArray, offset: number, length: number): void {
  const end = offset + length;
  switch (kind) {
    case 'sigmoid':
      for (let i = offset; i < end; i++) out[i] = sigmoid(x[i]);
      return;
    case 'hardSigmoid':
      for (let i = offset; i < end; i++) out[i] = hardSigmoid(x[i]);
      return;
    case 'hardSigmoidKeras3':
      for (let i = offset; i < end; i++) out[i] = hardSigmoidKeras3(x[i]);
      return;
    case 'tanh':
      for (let i = offset; i < end; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'relu':
      for (let i = offset; i < end; i++) out[i] = x[i] > 0 ? x[i] : 0;
      return;
    case 'linear':
      if (out !== x) out.set(x.subarray(offset, end), offset);
      return;
  }
}

/** dx[i] = dy[i] · f'(x[i]), with f' computed from the output y[i] = f(x[i]). */
export function activationBackward(kind: ElementwiseActivation, y: TypedArray, dy: TypedArray, dx: TypedArray, offset: number, length: number): void {
  const end = offset + length;
  switch (kind) {
    case 'sigmoid':
      for (let i = offset; i < end; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case 'hardSigmoid':
      for (let i = offset; i < end; i++) dx[i] = y[i] > 0 && y[i] < 1 ? 0.2 * dy[i] : 0;
      return;
    case 'hardSigmoidKeras3':
      for (let i = offset; i < end; i++) dx[i] = y[i] > 0 && y[i] < 1 ? dy[i] / 6 : 0;
      return;
    case 'tanh':
      for (let i = offset; i < end; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'relu':
      for (let i = offset; i < end; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
      return;
    case 'linear':
      if (dx !== dy) dx.set(dy.subarray(offset, end), offset);
      return;
  }
}

/** The scalar forms, for kernels that fuse several steps in one pass. */
export function sigmoid(x: number): number {
  // Two branches so that e^-x never overflows for large negative x.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Keras 2's / TF.js' hard sigmoid: clip(0.2·x + 0.5, 0, 1). */
export function hardSigmoid(x: number): number {
  const y = 0.2 * x + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}

/** Keras 3's hard sigmoid: relu6(x + 3) / 6, as Keras computes it (keras/src/backend/tensorflow/nn.py). */
export function hardSigmoidKeras3(x: number): number {
  const t = x + 3;
  return t <= 0 ? 0 : t >= 6 ? 1 : t / 6;
}

/** f'(x) expressed through y = f(x), for one element. */
export function derivativeFromOutput(kind: ElementwiseActivation, y: number): number {
  switch (kind) {
    case 'sigmoid':
      return y * (1 - y);
    case 'hardSigmoid':
      return y > 0 && y < 1 ? 0.2 : 0;
    case 'hardSigmoidKeras3':
      return y > 0 && y < 1 ? 1 / 6 : 0;
    case 'tanh':
      return 1 - y * y;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'linear':
      return 1;
  }
}

/**
 * Row-wise softmax over `rows` rows of `width` values: out = e^(x - max) / Σ e^(x - max).
 * Subtracting the row maximum keeps every exponent ≤ 0, so nothing overflows.
 */
export function softmaxRows(x: TypedArray, out: TypedArray, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let max = -Infinity;
    for (let j = 0; j < width; j++) if (x[base + j] > max) max = x[base + j];
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp(x[base + j] - max);
      out[base + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < width; j++) out[base + j] *= inv;
  }
}

/**
 * Backward of a row-wise softmax: dx = y ⊙ (dy - Σ_j dy_j y_j), the Jacobian-vector product
 * of ∂y_i/∂x_k = y_i (δ_ik - y_k).
 */
export function softmaxRowsBackward(y: TypedArray, dy: TypedArray, dx: TypedArray, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let dot = 0;
    for (let j = 0; j < width; j++) dot += dy[base + j] * y[base + j];
    for (let j = 0; j < width; j++) dx[base + j] = y[base + j] * (dy[base + j] - dot);
  }
}
