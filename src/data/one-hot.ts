/**
 * One-hot encoding of class indices.
 *
 *   oneHot([2, 0], 3)        -> [[0, 0, 1], [1, 0, 0]]        shape [...indices.shape, depth]
 *   toCategorical([[2], [0]]) -> [[0, 0, 1], [1, 0, 0]]        Keras' to_categorical
 *
 * Indices must be integers in [0, depth): Keras' `to_categorical` casts to int64 and lets a
 * negative index wrap around to the last class; here both are errors that say where they are.
 */
import { allocateFor, checkDType, type DType } from '../tensor/alloc.js';
import { Tensor, formatShape, type TensorLike } from '../tensor/tensor.js';
import { checkPositiveInteger } from '../base/options.js';
import { formatPosition, readTensor } from './read.js';

/** A tensor of shape [...indices.shape, depth] with a 1 at each index and 0 elsewhere. */
export function oneHot(indices: TensorLike, depth: number, dtype: DType = 'float32'): Tensor {
  const t = readTensor(indices, 'oneHot: indices');
  checkPositiveInteger(depth, 'oneHot: depth');
  checkDType(dtype, 'oneHot: dtype');
  return encode(t, t.shape, depth, dtype, 'oneHot: indices', 'oneHot: depth');
}

/**
 * Keras' `to_categorical(y, num_classes)`: one-hot rows for integer class vectors.
 * `numClasses` defaults to max(y) + 1. A `y` whose last axis has size 1 (a column such as
 * [N, 1]) is squeezed first, so [N, 1] gives [N, numClasses], not [N, 1, numClasses].
 */
export function toCategorical(y: TensorLike, numClasses?: number | null, dtype: DType = 'float32'): Tensor {
  const t = readTensor(y, 'toCategorical: y');
  let depth: number;
  let depthName = 'toCategorical: numClasses';
  if (numClasses === undefined || numClasses === null) {
    depthName = 'toCategorical: numClasses (the largest class index in y, plus 1)';
    if (t.size === 0) {
      throw new RangeError(`toCategorical: y is empty (shape ${formatShape(t.shape)}), so the number of classes cannot be inferred; pass numClasses`);
    }
    depth = maxClassIndex(t, 'toCategorical: y') + 1;
  } else {
    depth = checkPositiveInteger(numClasses, 'toCategorical: numClasses');
  }
  checkDType(dtype, 'toCategorical: dtype');
  const squeeze = t.rank > 1 && t.shape[t.rank - 1] === 1;
  return encode(t, squeeze ? t.shape.slice(0, -1) : t.shape, depth, dtype, 'toCategorical: y', depthName);
}

/** The largest value of `t`, after checking that every value is a non-negative integer. */
function maxClassIndex(t: Tensor, argument: string): number {
  let max = 0;
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`${argument}: expected non-negative integer class indices, got ${v} at index ${formatPosition(t.shape, i)} of a tensor of shape ${formatShape(t.shape)}`);
    }
    if (v > max) max = v;
  }
  return max;
}

/** out[i, index[i]] = 1 over the flattened indices; `leading` is the output shape before depth. */
function encode(indices: Tensor, leading: readonly number[], depth: number, dtype: DType, argument: string, depthName: string): Tensor {
  const n = indices.size;
  const out = allocateFor(dtype, n * depth, () => `${depthName} ${depth} for ${n} ${n === 1 ? 'index' : 'indices'}`); // (n, depth)
  for (let i = 0; i < n; i++) {
    const v = indices.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= depth) {
      throw new RangeError(`${argument}: expected integer class indices in [0, ${depth}), got ${v} at index ${formatPosition(indices.shape, i)} of a tensor of shape ${formatShape(indices.shape)}`);
    }
    out[i * depth + v] = 1;
  }
  return new Tensor(out, [...leading, depth]);
}
