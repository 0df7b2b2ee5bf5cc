/**
 * Mean absolute percentage error (Keras `mean_absolute_percentage_error`, alias `mape`).
 *
 * Shapes: yPred, yTrue, grad all [..., C]; N = R·C elements. Keras divides by the target's size
 * clipped below at ε = 1e-7 (so a zero target costs 100·|p|/ε, not Infinity), averages over the
 * last axis and then over the rows, i.e. over every element:
 *   d = max(|t|, ε)
 *   L = (100/N) Σ |t - p| / d
 *   ∂L/∂p = 100 sign(p - t) / (N d)    0 where p = t
 * There is no fused form.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { EPSILON, type Loss } from './loss.js';
import { elementwiseLoss } from './elementwise-loss.js';
import { registerLoss } from './registry.js';

/** compute's arithmetic, unchecked (loss.ts, LossKernel); every element counts, so the row width is unused. */
function kernel(p: TypedArray, t: TypedArray, _width: number, grad: TypedArray): number {
  // p: (R, C) predictions, t: (R, C) targets, grad: (R, C) dL/dp
  const scale = 100 / p.length;
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.max(Math.abs(t[i]), EPSILON); // max(|t|, ε)
    const diff = p[i] - t[i];
    total += Math.abs(diff) / d; // Σ |t - p| / d
    grad[i] = diff > 0 ? scale / d : diff < 0 ? -scale / d : 0; // ∂L/∂p = 100 sign(p - t) / (N d)
  }
  return total * scale;
}

export const meanAbsolutePercentageError: Loss = elementwiseLoss('meanAbsolutePercentageError', 'mean_absolute_percentage_error', kernel);

// Keras 3's names: the function, the class, and the short aliases (keras.losses.get).
registerLoss(meanAbsolutePercentageError, ['mape', 'MAPE', 'MeanAbsolutePercentageError']);
