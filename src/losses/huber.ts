/**
 * Huber loss (Keras `huber`, delta 1.0): quadratic for small errors, linear for large ones.
 *
 * Shapes: yPred, yTrue, grad all [..., C]; N = R·C elements; e = p - t, δ = 1. Keras averages
 * over the last axis and then over the rows, i.e. over every element:
 *   ℓ = ½ e²               where |e| ≤ δ
 *   ℓ = δ |e| - ½ δ²       where |e| > δ
 *   L = (1/N) Σ ℓ
 *   ∂L/∂p = e / N          where |e| ≤ δ
 *   ∂L/∂p = δ sign(e) / N  where |e| > δ   (the two agree at |e| = δ: the loss is C¹)
 * There is no fused form: Huber pairs with any output activation through its own backward.
 */
import type { TypedArray } from '../tensor/alloc.js';
import type { Loss } from './loss.js';
import { elementwiseLoss } from './elementwise-loss.js';
import { registerLoss } from './registry.js';

/** Keras' default `delta`, where the loss turns from quadratic to linear. */
export const HUBER_DELTA = 1;

/** compute's arithmetic, unchecked (loss.ts, LossKernel); every element counts, so the row width is unused. */
function kernel(p: TypedArray, t: TypedArray, _width: number, grad: TypedArray): number {
  // p: (R, C) predictions, t: (R, C) targets, grad: (R, C) dL/dp
  const delta = HUBER_DELTA;
  const invN = 1 / p.length;
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const e = p[i] - t[i];
    const abs = Math.abs(e);
    if (abs <= delta) {
      total += 0.5 * e * e; // ℓ = ½ e²
      grad[i] = e * invN; // ∂L/∂p = e / N
    } else {
      total += delta * abs - 0.5 * delta * delta; // ℓ = δ|e| - ½δ²
      grad[i] = (e > 0 ? delta : -delta) * invN; // ∂L/∂p = δ sign(e) / N
    }
  }
  return total * invN;
}

export const huber: Loss = elementwiseLoss('huber', 'huber', kernel);

// Keras 3's names: the function and the class (keras.losses.get).
registerLoss(huber, ['Huber']);
