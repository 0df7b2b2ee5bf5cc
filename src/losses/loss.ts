/**
 * The Loss contract. A loss turns predictions and targets into one number, the Keras-reduced mean,
 * and hands back its gradient with respect to the predictions, ready for the last layer's backward.
 *
 * Shape legend: predictions are [..., C] (C = the last axis: classes or output features);
 * R = size / C rows (samples, times time steps for [B, T, C] sequence outputs).
 *
 * Reduction (the Keras default): each row gives one loss value; the loss is the mean over all R rows.
 * Losses that average over the last axis too (binary cross-entropy and the regression losses: MSE,
 * MAE, Huber, MAPE, log-cosh) are therefore the mean over every element.
 */
import { allocate, type TypedArray } from '../tensor/alloc.js';
import { Tensor } from '../tensor/tensor.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError'
  | 'meanAbsoluteError' | 'huber' | 'meanAbsolutePercentageError' | 'logCosh';

export interface LossResult {
  /** The reduced (mean) loss, computed in float64. */
  loss: number;
  /** dL/dyPred (or dL/dlogits for a fused form): same shape and dtype as the predictions. */
  grad: Tensor;
}

/** A loss evaluated directly on the logits of the final activation (the fused, stable form). */
export type LogitsLoss = (logits: Tensor, yTrue: Tensor) => LossResult;

export interface Loss {
  readonly name: LossName;
  /** The Keras (snake_case) name, for serialised configs: 'categorical_crossentropy', ... */
  readonly kerasName: string;
  /**
   * Check targets against the predictions' shape (and, for cross-entropy, that they are
   * probabilities or class indices). Throws naming `argument` (e.g. 'y'), what it got and what it expected.
   */
  validateTargets(yTrue: Tensor, predictionShape: readonly number[], argument: string): void;
  /** The Keras-reduced mean loss and its gradient w.r.t. yPred (probabilities or values). Validates yTrue as 'yTrue'. */
  compute(yPred: Tensor, yTrue: Tensor): LossResult;
  /**
   * The fused, numerically stable form on logits when this loss pairs with `activation`
   * ('softmax' for the categorical losses, 'sigmoid' for binary), else undefined.
   * Its grad is dL/dlogits, so the activation's own backward is skipped.
   */
  fromLogits?(activation: string): LogitsLoss | undefined;
}

/**
 * Keras' fuzz factor `epsilon()`: cross-entropy clips probabilities to [EPSILON, 1 - EPSILON],
 * so a prediction of exactly 0 or 1 costs -log(1e-7) ≈ 16.12 instead of Infinity.
 */
export const EPSILON = 1e-7;

/**
 * The arithmetic of a built-in loss (or of its logits form) without its checks: predictions (or
 * logits) and targets as flat arrays, rows of `width`, the gradient written into every element of
 * `grad`, the mean loss returned. The public function checks its arguments and then runs exactly
 * this, so the two give the same bits; the model's training step, whose targets were checked once
 * for the whole fit and whose predictions it made itself, calls it on a gradient buffer it reuses.
 * Internal: not exported from the package.
 */
export type LossKernel = (pred: TypedArray, target: TypedArray, width: number, grad: TypedArray) => number;

const kernels = new WeakMap<object, LossKernel>();

/** Record `kernel` as the unchecked arithmetic of `fn` (a Loss's compute, or a LogitsLoss). */
export function withKernel(fn: object, kernel: LossKernel): void {
  kernels.set(fn, kernel);
}

/** A public loss function's result, after its checks: `kernel` on a fresh gradient shaped like `pred`. */
export function runKernel(kernel: LossKernel, pred: Tensor, target: Tensor, width: number): LossResult {
  const grad = allocate(pred.dtype, pred.size);
  return { loss: kernel(pred.data, target.data, width, grad), grad: new Tensor(grad, pred.shape) };
}

/** The unchecked arithmetic of a built-in loss function; undefined for a user's own loss. */
export function kernelOf(fn: object | undefined): LossKernel | undefined {
  return fn === undefined ? undefined : kernels.get(fn);
}
