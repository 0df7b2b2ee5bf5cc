/**
 * Categorical cross-entropy (Keras `categorical_crossentropy`): targets are probability rows
 * (one-hot, or soft targets), predictions are probability rows.
 *
 * Shapes: yPred, yTrue, grad all [..., C]; R = size / C rows (samples × time steps).
 *
 * On probabilities, per row, exactly as Keras' backend (and TF.js) compute it:
 *   S   = Σ_j p_j                   predictions renormalised to sum to 1 (a softmax row already does)
 *   q_j = clip(p_j / S, ε, 1 - ε)   ε = 1e-7, so a predicted 0 costs -log(1e-7) instead of Infinity
 *   ℓ   = -Σ_j t_j log q_j
 *   L   = (1/R) Σ_rows ℓ
 * Backward: with g_j = ∂ℓ/∂(p_j/S) = -t_j / q_j where the clip is inactive, and 0 where it clips,
 *   ∂ℓ/∂p_k = (g_k - Σ_j g_j p_j / S) / S
 * Behind a softmax the Σ_j term is a constant shift of the row, which the softmax backward
 * removes, so the result equals the fused form below.
 *
 * Fused with softmax, on logits z (Keras' from_logits=True, softmax_cross_entropy_with_logits):
 *   lse = m + log Σ_j e^(z_j - m),  m = max_j z_j     (every exponent ≤ 0: never overflows)
 *   ℓ   = Σ_j t_j (lse - z_j)                         (= lse - Σ t z for one-hot rows; exact for soft rows)
 *   ∂ℓ/∂z_k = softmax(z)_k · Σ_j t_j - t_k
 */
import type { TypedArray } from '../tensor/alloc.js';
import { Tensor, sameShape } from '../tensor/tensor.js';
import { EPSILON, runKernel, withKernel, type Loss, type LossResult } from './loss.js';
import { registerLoss } from './registry.js';
import { checkDenseTargets, checkProbabilities, checkProbabilityRows, checkPredictions } from './targets.js';

const NAME = 'categoricalCrossentropy';

function validateTargets(yTrue: Tensor, predictionShape: readonly number[], argument: string): void {
  checkDenseTargets(yTrue, predictionShape, argument, classIndexHint(yTrue, predictionShape));
  checkProbabilities(yTrue, argument, NAME);
  checkProbabilityRows(yTrue, argument, NAME);
}

/** Targets shaped like class indices get pointed at the sparse loss. */
function classIndexHint(yTrue: unknown, predictionShape: readonly number[]): string {
  if (!(yTrue instanceof Tensor) || predictionShape.length === 0) return '';
  const lead = predictionShape.slice(0, -1);
  return sameShape(yTrue.shape, lead) || sameShape(yTrue.shape, [...lead, 1])
    ? '; for integer class indices use sparseCategoricalCrossentropy (or one-hot encode them)'
    : '';
}

function compute(yPred: Tensor, yTrue: Tensor): LossResult {
  const { width } = checkPredictions(yPred, 'yPred');
  validateTargets(yTrue, yPred.shape, 'yTrue');
  return runKernel(probabilitiesKernel, yPred, yTrue, width);
}
withKernel(compute, probabilitiesKernel);

/** compute's arithmetic, unchecked (loss.ts, LossKernel). */
function probabilitiesKernel(p: TypedArray, t: TypedArray, width: number, grad: TypedArray): number {
  // p: (R, C) probabilities, t: (R, C) target probabilities, grad: (R, C) dL/dp
  const invRows = 1 / (p.length / width);
  let total = 0;
  for (let base = 0; base < p.length; base += width) {
    let sum = 0;
    for (let j = 0; j < width; j++) sum += p[base + j];
    const s = sum > 0 ? sum : 1; // S = Σ p (an all-zero row, where Keras gives NaN, is left unscaled: every q clips to ε)
    let rowLoss = 0;
    let gDotP = 0;
    for (let j = 0; j < width; j++) {
      const q = p[base + j] / s;
      const clipped = q < EPSILON || q > 1 - EPSILON;
      rowLoss -= t[base + j] * Math.log(clipped ? (q < EPSILON ? EPSILON : 1 - EPSILON) : q); // ℓ = -Σ t log q
      if (!clipped) gDotP += (-t[base + j] / q) * p[base + j]; // Σ_j g_j p_j
    }
    total += rowLoss;
    const shift = gDotP / s;
    for (let j = 0; j < width; j++) {
      const q = p[base + j] / s;
      const g = q < EPSILON || q > 1 - EPSILON ? 0 : -t[base + j] / q; // g_j = -t_j / q_j, 0 where clipped
      grad[base + j] = ((g - shift) / s) * invRows; // ∂L/∂p_k = (g_k - Σ g p / S) / S / R
    }
  }
  return total * invRows;
}

/** Softmax + categorical cross-entropy on logits: the stable fused form. */
export function softmaxCategoricalCrossentropy(logits: Tensor, yTrue: Tensor): LossResult {
  const { width } = checkPredictions(logits, 'logits');
  validateTargets(yTrue, logits.shape, 'yTrue');
  return runKernel(logitsKernel, logits, yTrue, width);
}
withKernel(softmaxCategoricalCrossentropy, logitsKernel);

/** softmaxCategoricalCrossentropy's arithmetic, unchecked (loss.ts, LossKernel). */
function logitsKernel(z: TypedArray, t: TypedArray, width: number, grad: TypedArray): number {
  // z: (R, C) logits, t: (R, C) target probabilities, grad: (R, C) dL/dz
  const invRows = 1 / (z.length / width);
  let total = 0;
  for (let base = 0; base < z.length; base += width) {
    let max = -Infinity;
    for (let j = 0; j < width; j++) if (z[base + j] > max) max = z[base + j];
    let expSum = 0;
    let tSum = 0;
    for (let j = 0; j < width; j++) {
      expSum += Math.exp(z[base + j] - max);
      tSum += t[base + j];
    }
    const lse = max + Math.log(expSum); // lse = m + log Σ e^(z - m)
    let rowLoss = 0;
    for (let j = 0; j < width; j++) {
      rowLoss += t[base + j] * (lse - z[base + j]); // ℓ = Σ t (lse - z)
      const softmax = Math.exp(z[base + j] - max) / expSum;
      grad[base + j] = (softmax * tSum - t[base + j]) * invRows; // ∂L/∂z = (softmax·Σt - t) / R
    }
    total += rowLoss;
  }
  return total * invRows;
}

export const categoricalCrossentropy: Loss = {
  name: NAME,
  kerasName: 'categorical_crossentropy',
  validateTargets,
  compute,
  fromLogits: (activation: string) => (activation === 'softmax' ? softmaxCategoricalCrossentropy : undefined),
};

registerLoss(categoricalCrossentropy);
