/**
 * Checks shared by the losses: prediction shapes, target shapes, finite values, probabilities,
 * probability rows and class indices. Every error names the argument, what it got and what it expected.
 */
import { Tensor, assertFinite, describe, formatShape, sameShape } from '../tensor/tensor.js';

/** Rows and row width of a prediction shape [..., C]: R = size / C. Throws on an empty or rank-0 shape. */
export function rowsOf(shape: readonly number[], argument: string): { rows: number; width: number } {
  if (shape.length === 0) {
    throw new RangeError(`${argument}: expected predictions with at least one axis ([batch, classes] or [batch, time, classes]), got a scalar`);
  }
  const width = shape[shape.length - 1]!;
  let rows = 1;
  for (let axis = 0; axis < shape.length - 1; axis++) rows *= shape[axis]!;
  if (rows === 0 || width === 0) {
    throw new RangeError(`${argument}: expected at least one prediction, got shape ${formatShape(shape)}`);
  }
  return { rows, width };
}

function checkIsTensor(yTrue: unknown, argument: string): asserts yTrue is Tensor {
  if (!(yTrue instanceof Tensor)) throw new TypeError(`${argument}: expected a Tensor of targets, got ${describe(yTrue)}`);
}

/** Targets shaped exactly like the predictions, all finite. `hint` is appended to the shape error. */
export function checkDenseTargets(yTrue: Tensor, predictionShape: readonly number[], argument: string, hint = ''): void {
  checkIsTensor(yTrue, argument);
  rowsOf(predictionShape, 'predictions');
  if (!sameShape(yTrue.shape, predictionShape)) {
    throw new RangeError(`${argument}: expected targets of shape ${formatShape(predictionShape)} (the predictions' shape), got ${formatShape(yTrue.shape)}${hint}`);
  }
  assertFinite(yTrue, argument);
}

/** Position of flat index `at` in `shape`, as "[i, j, k]". */
export function indexAt(shape: readonly number[], at: number): string {
  const indices = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const d = shape[axis]!;
    indices[axis] = at % d;
    at = Math.floor(at / d);
  }
  return formatShape(indices);
}

/** Every target in [0, 1] (cross-entropy targets are probabilities). */
export function checkProbabilities(yTrue: Tensor, argument: string, lossName: string): void {
  const t = yTrue.data;
  for (let i = 0; i < t.length; i++) {
    if (t[i]! < 0 || t[i]! > 1) {
      throw new RangeError(`${argument}: ${lossName} targets must be probabilities in [0, 1], got ${t[i]} at index ${indexAt(yTrue.shape, i)}`);
    }
  }
}

/** Maximum distance of a categorical target row's sum from 1. */
export const ROW_SUM_TOLERANCE = 1e-3;

/** Every row over the last axis sums to 1 (within ROW_SUM_TOLERANCE). */
export function checkProbabilityRows(yTrue: Tensor, argument: string, lossName: string): void {
  const t = yTrue.data;
  const width = yTrue.shape[yTrue.shape.length - 1]!;
  const rowShape = yTrue.shape.slice(0, -1);
  for (let base = 0, r = 0; base < t.length; base += width, r++) {
    let sum = 0;
    for (let j = 0; j < width; j++) sum += t[base + j]!;
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new RangeError(`${argument}: ${lossName} target rows must be probability distributions summing to 1 (within ${ROW_SUM_TOLERANCE}); row ${indexAt(rowShape, r)} sums to ${sum}`);
    }
  }
}

/**
 * Sparse targets: integer class indices in [0, C), shaped like the predictions without their
 * last axis ([B] for [B, C], [B, T] for [B, T, C]), or with a trailing axis of 1 ([B, 1], [B, T, 1]).
 */
export function checkClassIndices(yTrue: Tensor, predictionShape: readonly number[], argument: string, lossName: string): void {
  checkIsTensor(yTrue, argument);
  const { width: classes } = rowsOf(predictionShape, 'predictions');
  const lead = predictionShape.slice(0, -1);
  const withOne = [...lead, 1];
  if (!sameShape(yTrue.shape, lead) && !sameShape(yTrue.shape, withOne)) {
    const hint = sameShape(yTrue.shape, predictionShape) ? `; ${lossName} takes integer class indices (use categoricalCrossentropy for one-hot or probability targets)` : '';
    throw new RangeError(`${argument}: expected class indices of shape ${formatShape(lead)} or ${formatShape(withOne)} for predictions of shape ${formatShape(predictionShape)}, got ${formatShape(yTrue.shape)}${hint}`);
  }
  assertFinite(yTrue, argument);
  const t = yTrue.data;
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= classes) {
      throw new RangeError(`${argument}: ${lossName} targets must be integer class indices in [0, ${classes - 1}] (the predictions have ${classes} classes), got ${k} at index ${indexAt(yTrue.shape, i)}`);
    }
  }
}

/** Predictions (probabilities, values or logits) must be a Tensor with at least one row; returns R and C. */
export function checkPredictions(yPred: unknown, argument: string): { rows: number; width: number } {
  if (!(yPred instanceof Tensor)) throw new TypeError(`${argument}: expected a Tensor, got ${describe(yPred)}`);
  return rowsOf(yPred.shape, argument);
}
