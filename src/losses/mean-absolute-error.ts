/**
 * Mean absolute error (Keras `mean_absolute_error`, alias `mae`).
 *
 * Shapes: yPred, yTrue, grad all [..., C]; N = R·C elements. Keras averages over the last axis
 * and then over the rows, i.e. over every element:
 *   L = (1/N) Σ |p - t|
 *   ∂L/∂p = sign(p - t) / N          0 where p = t (TensorFlow's gradient of |x| at 0)
 * There is no fused form: MAE pairs with any output activation through its own backward.
 */
import type { TypedArray } from '../tensor/alloc.js';
import type { Loss } from './loss.js';
import { elementwiseLoss } from './elementwise-loss.js';
import { registerLoss } from './registry.js';

/** compute's arithmetic, unchecked (loss.ts, LossKernel); every element counts, so the row width is unused. */
function kernel(p: TypedArray, t: TypedArray, _width: number, grad: TypedArray): number {
  // p: (R, C) predictions, t: (R, C) targets, grad: (R, C) dL/dp
  const invN = 1 / p.length;
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const diff = p[i] - t[i];
    total += Math.abs(diff); // Σ |p - t|
    grad[i] = (diff > 0 ? invN : diff < 0 ? -invN : 0); // ∂L/∂p = sign(p - t) / N
  }
  return total * invN;
}

export const meanAbsoluteError: Loss = elementwiseLoss('meanAbsoluteError', 'mean_absolute_error', kernel);

// Keras 3's names: the function, the class, and the short aliases (keras.losses.get).
registerLoss(meanAbsoluteError, ['mae', 'MAE', 'MeanAbsoluteError']);
