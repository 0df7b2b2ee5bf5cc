/**
 * Sparse categorical cross-entropy (Keras `sparse_categorical_crossentropy`): targets are integer
 * class indices k, predictions are probability rows over C classes.
 *
 * Shapes: yPred, grad [..., C]; yTrue [...] or [..., 1] (one index per row); R rows.
 *
 * On probabilities, per row, as Keras' backend computes it (clip, take the log, then a softmax
 * cross-entropy on those "logits", which renormalises the clipped row):
 *   c_j = clip(p_j, ε, 1 - ε)       ε = 1e-7
 *   S   = Σ_j c_j
 *   ℓ   = -log(c_k / S) = log S - log c_k
 *   L   = (1/R) Σ_rows ℓ
 * Backward, where the clip is inactive (0 where it clips):
 *   ∂ℓ/∂p_j = 1/S - δ_jk / c_k
 * For a softmax row (S = 1) this is the familiar -1/p_k at the target class; the 1/S shift is
 * removed by the softmax backward.
 *
 * Fused with softmax, on logits z (sparse_softmax_cross_entropy_with_logits):
 *   lse = m + log Σ_j e^(z_j - m),  m = max_j z_j
 *   ℓ   = lse - z_k
 *   ∂ℓ/∂z_j = softmax(z)_j - δ_jk
 */
import type { TypedArray } from '../tensor/alloc.js';
import { Tensor } from '../tensor/tensor.js';
import { EPSILON, runKernel, withKernel, type Loss, type LossResult } from './loss.js';
import { registerLoss } from './registry.js';
import { checkClassIndices, checkPredictions } from './targets.js';

const NAME = 'sparseCategoricalCrossentropy';

function validateTargets(yTrue: Tensor, predictionShape: readonly number[], argument: string): void {
  checkClassIndices(yTrue, predictionShape, argument, NAME);
}

function compute(yPred: Tensor, yTrue: Tensor): LossResult {
  const { width } = checkPredictions(yPred, 'yPred');
  validateTargets(yTrue, yPred.shape, 'yTrue');
  return runKernel(probabilitiesKernel, yPred, yTrue, width);
}
withKernel(compute, probabilitiesKernel);

/** compute's arithmetic, unchecked (loss.ts, LossKernel). */
function probabilitiesKernel(p: TypedArray, labels: TypedArray, width: number, grad: TypedArray): number {
  // p: (R, C) probabilities, labels: (R) class indices, grad: (R, C) dL/dp
  const rows = p.length / width;
  const invRows = 1 / rows;
  let total = 0;
  for (let r = 0, base = 0; r < rows; r++, base += width) {
    const k = labels[r];
    let s = 0;
    for (let j = 0; j < width; j++) s += clip(p[base + j]); // S = Σ clip(p)
    const ck = clip(p[base + k]);
    total += Math.log(s) - Math.log(ck); // ℓ = log S - log c_k
    for (let j = 0; j < width; j++) {
      const pj = p[base + j];
      // ∂L/∂p_j = (1/S - δ_jk / c_k) / R; 0 where the clip is active (it passes no gradient)
      grad[base + j] = pj < EPSILON || pj > 1 - EPSILON ? 0 : (1 / s - (j === k ? 1 / ck : 0)) * invRows;
    }
  }
  return total * invRows;
}

/** c = clip(p, ε, 1 - ε). */
function clip(p: number): number {
  return p < EPSILON ? EPSILON : p > 1 - EPSILON ? 1 - EPSILON : p;
}

/** Softmax + sparse categorical cross-entropy on logits: the stable fused form. */
export function softmaxSparseCategoricalCrossentropy(logits: Tensor, yTrue: Tensor): LossResult {
  const { width } = checkPredictions(logits, 'logits');
  validateTargets(yTrue, logits.shape, 'yTrue');
  return runKernel(logitsKernel, logits, yTrue, width);
}
withKernel(softmaxSparseCategoricalCrossentropy, logitsKernel);

/** softmaxSparseCategoricalCrossentropy's arithmetic, unchecked (loss.ts, LossKernel). */
function logitsKernel(z: TypedArray, labels: TypedArray, width: number, grad: TypedArray): number {
  // z: (R, C) logits, labels: (R) class indices, grad: (R, C) dL/dz
  const rows = z.length / width;
  const invRows = 1 / rows;
  let total = 0;
  for (let r = 0, base = 0; r < rows; r++, base += width) {
    const k = labels[r];
    let max = -Infinity;
    for (let j = 0; j < width; j++) if (z[base + j] > max) max = z[base + j];
    let expSum = 0;
    for (let j = 0; j < width; j++) expSum += Math.exp(z[base + j] - max);
    total += max + Math.log(expSum) - z[base + k]; // ℓ = lse - z_k
    for (let j = 0; j < width; j++) {
      const softmax = Math.exp(z[base + j] - max) / expSum;
      grad[base + j] = (softmax - (j === k ? 1 : 0)) * invRows; // ∂L/∂z_j = (softmax_j - δ_jk) / R
    }
  }
  return total * invRows;
}

export const sparseCategoricalCrossentropy: Loss = {
  name: NAME,
  kerasName: 'sparse_categorical_crossentropy',
  validateTargets,
  compute,
  fromLogits: (activation: string) => (activation === 'softmax' ? softmaxSparseCategoricalCrossentropy : undefined),
};

registerLoss(sparseCategoricalCrossentropy);
