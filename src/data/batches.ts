/**
 * Batching for `fit`, `evaluate` and `predict`: which samples go in which batch, and cheap ways
 * to get those rows out of the data.
 *
 *   batchIndices(n, batchSize, shuffle)   sample order for one epoch, cut into batches
 *   sliceRows(t, start, end)              rows [start, end) as a view (no copy)
 *   gatherRows(t, indices, start, end)    rows indices[start..end) copied (for shuffled batches)
 *   splitValidation(x, y, fraction)       Keras' validationSplit: the last fraction held out
 *
 * "Rows" are entries of the first (sample) axis: for x of shape [N, T, I] a row is one [T, I]
 * sequence.
 */
import { allocate } from '../tensor/alloc.js';
import { shuffleInPlace } from '../tensor/random.js';
import { Tensor, describe, formatShape, sameShape, sizeOf, toTensor, type TensorLike } from '../tensor/tensor.js';
import { checkBoolean, checkPositiveInteger } from '../base/options.js';

/**
 * The sample indices 0..numSamples-1, shuffled with the library's generator when `shuffle`
 * (so `setSeed` makes the order reproducible), cut into batches of `batchSize`; the last batch
 * holds the remainder. The batches are views into one Int32Array.
 */
export function batchIndices(numSamples: number, batchSize: number, shuffle: boolean): Int32Array[] {
  if (typeof numSamples !== 'number' || !Number.isInteger(numSamples) || numSamples < 0) {
    throw new RangeError(`batchIndices: numSamples: expected a non-negative integer, got ${describe(numSamples)}`);
  }
  checkPositiveInteger(batchSize, 'batchIndices: batchSize');
  checkBoolean(shuffle, 'batchIndices: shuffle');
  const order = new Int32Array(numSamples);
  for (let i = 0; i < numSamples; i++) order[i] = i;
  if (shuffle) shuffleInPlace(order);
  const batches: Int32Array[] = [];
  for (let start = 0; start < numSamples; start += batchSize) {
    batches.push(order.subarray(start, Math.min(start + batchSize, numSamples)));
  }
  return batches;
}

/**
 * Rows [start, end) of `t` as a tensor over the same storage: writes through either are seen by
 * both. Anything other than a Tensor is first converted (and the view is of that copy).
 */
export function sliceRows(t: TensorLike, start: number, end: number): Tensor {
  const x = readRows(t, 'sliceRows: t');
  const rows = x.shape[0]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > rows) {
    throw new RangeError(`sliceRows: expected integers 0 <= start <= end <= ${rows} for t of shape ${formatShape(x.shape)}, got start ${describe(start)}, end ${describe(end)}`);
  }
  return rowRange(x, start, end);
}

/** Rows start..end-1 of x as a view, unchecked: sliceRows after its checks, and fit's per-batch path (internal). */
export function rowRange(x: Tensor, start: number, end: number): Tensor {
  const rowSize = x.strides[0]!;
  const shape = x.shape.slice();
  shape[0] = end - start;
  return new Tensor(x.data.subarray(start * rowSize, end * rowSize), shape);
}

/**
 * Copy rows indices[start], ..., indices[end - 1] of `t` into a tensor of shape
 * [end - start, ...t.shape.slice(1)]. `out` is filled and returned when it has exactly that
 * shape and t's dtype (reuse one buffer across batches); otherwise a new tensor is returned.
 */
export function gatherRows(t: TensorLike, indices: ArrayLike<number>, start = 0, end = indices?.length, out?: Tensor): Tensor {
  const x = readRows(t, 'gatherRows: t');
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw new TypeError(`gatherRows: indices: expected an array of row indices, got ${describe(indices)}`);
  }
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > indices.length) {
    throw new RangeError(`gatherRows: expected integers 0 <= start <= end <= ${indices.length} (the number of indices), got start ${describe(start)}, end ${describe(end)}`);
  }
  const rows = x.shape[0]!;
  for (let k = start; k < end; k++) {
    const r = indices[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new RangeError(`gatherRows: indices[${k}]: expected a row index in [0, ${rows}) for t of shape ${formatShape(x.shape)}, got ${describe(r)}`);
    }
  }
  const shape = [end - start, ...x.shape.slice(1)];
  if (out !== undefined) {
    if (!(out instanceof Tensor)) throw new TypeError(`gatherRows: out: expected a Tensor, got ${describe(out)}`);
    if (overlaps(out.data, x.data)) {
      throw new RangeError('gatherRows: out shares storage with t; rows would be overwritten while they are read');
    }
  }
  const reuse = out !== undefined && out.dtype === x.dtype && sameShape(out.shape, shape);
  const target = reuse ? out : new Tensor(allocate(x.dtype, sizeOf(shape)), shape);
  const rowSize = x.strides[0]!;
  for (let k = start; k < end; k++) {
    const r = indices[k]!;
    target.data.set(x.data.subarray(r * rowSize, (r + 1) * rowSize), (k - start) * rowSize);
  }
  return target;
}

export interface ValidationSplit {
  /** The first samples, for training (views of the inputs). */
  x: Tensor;
  y: Tensor;
  /** The last samples, held out (views of the inputs); null when validationSplit is 0. */
  xVal: Tensor | null;
  yVal: Tensor | null;
}

/**
 * Keras' `validationSplit`: hold out the last `validationSplit` fraction of the samples, taken
 * before any shuffling. The first floor(N · (1 - validationSplit)) samples train (Keras' rule);
 * a split that leaves either part empty is an error, as in Keras.
 */
export function splitValidation(x: TensorLike, y: TensorLike, validationSplit: number): ValidationSplit {
  const xs = readRows(x, 'splitValidation: x');
  const ys = readRows(y, 'splitValidation: y');
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new RangeError(`splitValidation: validationSplit: expected a number in [0, 1), got ${describe(validationSplit)}`);
  }
  const n = xs.shape[0]!;
  if (ys.shape[0] !== n) {
    throw new RangeError(`splitValidation: x and y must hold the same number of samples, got x of shape ${formatShape(xs.shape)} and y of shape ${formatShape(ys.shape)}`);
  }
  if (validationSplit === 0) return { x: xs, y: ys, xVal: null, yVal: null };
  const splitAt = Math.floor(n * (1 - validationSplit));
  if (splitAt === 0 || splitAt === n) {
    throw new RangeError(`splitValidation: ${n === 1 ? '1 sample is' : `${n} samples are`} not enough to hold out validationSplit ${validationSplit}: it leaves ${splitAt} for training and ${n - splitAt} for validation; give more data or another validationSplit`);
  }
  return {
    x: sliceRows(xs, 0, splitAt),
    y: sliceRows(ys, 0, splitAt),
    xVal: sliceRows(xs, splitAt, n),
    yVal: sliceRows(ys, splitAt, n),
  };
}

/** `t` as a Tensor with a sample axis. */
function readRows(t: unknown, argument: string): Tensor {
  const x = toTensor(t, argument);
  if (x.rank === 0) throw new RangeError(`${argument}: expected a tensor of rank 1 or more (samples first), got a scalar`);
  return x;
}

/** Whether two typed arrays share any bytes of storage. */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
