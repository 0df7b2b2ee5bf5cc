/**
 * Binary cross-entropy (Keras `binary_crossentropy`): every element is an independent
 * probability; targets are probabilities in [0, 1] (usually 0 or 1).
 *
 * Shapes: yPred, yTrue, grad all [..., C]; N = R·C elements. Keras averages over the last axis
 * and then over the rows, i.e. over every element.
 *
 * On probabilities, per element:
 *   c = clip(p, ε, 1 - ε)            ε = 1e-7
 *   ℓ = -(t log c + (1 - t) log(1 - c))
 *   L = (1/N) Σ ℓ
 *   ∂ℓ/∂p = (c - t) / (c (1 - c))    where the clip is inactive, 0 where it clips
 * Porting note: this is TF.js's and Keras ≤ 2.2's form (the tutorials' Keras). tf.keras ≥ 2.3
 * additionally adds ε inside both logs, log(c + ε) and log(1 - c + ε): a relative difference of
 * order 1e-7 except for predictions at the clip.
 *
 * Fused with sigmoid, on logits z (sigmoid_cross_entropy_with_logits):
 *   ℓ = max(z, 0) - z t + log(1 + e^-|z|)   (never overflows, never log(0))
 *   ∂ℓ/∂z = σ(z) - t
 */
import type { TypedArray } from '../tensor/alloc.js';
import { sigmoid } from '../tensor/elementwise.js';
import { Tensor } from '../tensor/tensor.js';
import { EPSILON, runKernel, withKernel, type Loss, type LossResult } from './loss.js';
import { registerLoss } from './registry.js';
import { checkDenseTargets, checkPredictions, checkProbabilities } from './targets.js';

const NAME = 'binaryCrossentropy';

function validateTargets(yTrue: Tensor, predictionShape: readonly number[], argument: string): void {
  checkDenseTargets(yTrue, predictionShape, argument);
  checkProbabilities(yTrue, argument, NAME);
}

function compute(yPred: Tensor, yTrue: Tensor): LossResult {
  checkPredictions(yPred, 'yPred');
  validateTargets(yTrue, yPred.shape, 'yTrue');
  return runKernel(probabilitiesKernel, yPred, yTrue, 0);
}
withKernel(compute, probabilitiesKernel);

/** compute's arithmetic, unchecked (loss.ts, LossKernel); every element counts, so the row width is unused. */
function probabilitiesKernel(p: TypedArray, t: TypedArray, _width: number, grad: TypedArray): number {
  // p: (R, C) probabilities, t: (R, C) targets, grad: (R, C) dL/dp
  const invN = 1 / p.length;
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const clipped = p[i] < EPSILON || p[i] > 1 - EPSILON;
    const c = clipped ? (p[i] < EPSILON ? EPSILON : 1 - EPSILON) : p[i];
    total -= t[i] * Math.log(c) + (1 - t[i]) * Math.log(1 - c); // ℓ = -(t log c + (1-t) log(1-c))
    grad[i] = clipped ? 0 : ((c - t[i]) / (c * (1 - c))) * invN; // ∂L/∂p = (c - t) / (c(1-c)) / N
  }
  return total * invN;
}

/** Sigmoid + binary cross-entropy on logits: the stable fused form. */
export function sigmoidBinaryCrossentropy(logits: Tensor, yTrue: Tensor): LossResult {
  checkPredictions(logits, 'logits');
  validateTargets(yTrue, logits.shape, 'yTrue');
  return runKernel(logitsKernel, logits, yTrue, 0);
}
withKernel(sigmoidBinaryCrossentropy, logitsKernel);

/** sigmoidBinaryCrossentropy's arithmetic, unchecked (loss.ts, LossKernel). */
function logitsKernel(z: TypedArray, t: TypedArray, _width: number, grad: TypedArray): number {
  // z: (R, C) logits, t: (R, C) targets, grad: (R, C) dL/dz
  const invN = 1 / z.length;
  let total = 0;
  for (let i = 0; i < z.length; i++) {
    const zi = z[i];
    total += (zi > 0 ? zi : 0) - zi * t[i] + Math.log1p(Math.exp(-Math.abs(zi))); // ℓ = max(z,0) - z t + log(1 + e^-|z|)
    grad[i] = (sigmoid(zi) - t[i]) * invN; // ∂L/∂z = (σ(z) - t) / N
  }
  return total * invN;
}

export const binaryCrossentropy: Loss = {
  name: NAME,
  kerasName: 'binary_crossentropy',
  validateTargets,
  compute,
  fromLogits: (activation: string) => (activation === 'sigmoid' ? sigmoidBinaryCrossentropy : undefined),
};

registerLoss(binaryCrossentropy);
