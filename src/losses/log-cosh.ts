/**
 * Log-cosh (Keras `log_cosh`; Keras 2 spelt it `logcosh`): like MSE for small errors (≈ x²/2),
 * like MAE for large ones (≈ |x| - log 2).
 *
 * Shapes: yPred, yTrue, grad all [..., C]; N = R·C elements; x = p - t. Keras averages over the
 * last axis and then over the rows, i.e. over every element. log(cosh x) overflows cosh for
 * |x| > 710, so Keras computes it as x + softplus(-2x) - log 2, which is, with softplus written
 * stably, the form used here:
 *   ℓ = |x| + log1p(e^(-2|x|)) - log 2
 *   L = (1/N) Σ ℓ
 *   ∂L/∂p = tanh(x) / N                (d/dx log cosh x = tanh x)
 * There is no fused form.
 * Porting note: Keras 3.15 subtracts log 2 computed in float32 (ops.log(2.0) cast to the
 * predictions' dtype, 0.6931471824645996), so in float64 its loss is 1.9e-9 below log cosh at
 * every element (log_cosh(0) = -1.9e-9); lstm-ts subtracts the float64 log 2. The gradient,
 * and so training, is the same (test/keras-regression.test.ts).
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
    const x = p[i] - t[i];
    const abs = Math.abs(x);
    total += abs + Math.log1p(Math.exp(-2 * abs)) - Math.LN2; // ℓ = |x| + log1p(e^-2|x|) - log 2
    grad[i] = Math.tanh(x) * invN; // ∂L/∂p = tanh(x) / N
  }
  return total * invN;
}

export const logCosh: Loss = elementwiseLoss('logCosh', 'log_cosh', kernel);

// Keras 3's names: the function and the class; Keras 2's 'logcosh'.
registerLoss(logCosh, ['logcosh', 'LogCosh']);
