/**
 * Mean squared error (Keras `mean_squared_error`, alias `mse`).
 *
 * Shapes: yPred, yTrue, grad all [..., C]; N = R·C elements. Keras averages over the last axis
 * and then over the rows, i.e. over every element:
 *   L = (1/N) Σ (p - t)²
 *   ∂L/∂p = 2 (p - t) / N
 * There is no fused form: MSE pairs with any output activation through its own backward.
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
    total += diff * diff; // Σ (p - t)²
    grad[i] = 2 * diff * invN; // ∂L/∂p = 2 (p - t) / N
  }
  return total * invN;
}

export const meanSquaredError: Loss = elementwiseLoss('meanSquaredError', 'mean_squared_error', kernel);

// Keras 3's names: the function, the short aliases and the class (keras.losses.get).
registerLoss(meanSquaredError, ['mse', 'MSE', 'MeanSquaredError']);
