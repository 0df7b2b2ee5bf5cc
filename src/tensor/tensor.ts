/**
 * Tensor: a shape over a contiguous, row-major Float32Array or Float64Array.
 *
 * Strides are row-major in elements: for shape [B, T, I] they are [T*I, I, 1]. Tensors never
 * alias strided views; data coming in strided (a transposed ndarray, say) is copied into
 * contiguous storage once, at the boundary, so every kernel can walk `data` with plain indices.
 *
 * Nothing here evaluates a string as code, so the core loads under a Content Security Policy
 * without 'unsafe-eval': the strided copy is a loop of its own (ndarray-ops generates its
 * functions with `new Function` when imported), and `ndarray` (whose import compiles nothing)
 * is called only by `toNdarray()`, whose view classes ndarray compiles on first use.
 */
import ndarray from 'ndarray';
import { describe, describeAs, formatShape } from '../base/describe.js';
import { allocate, allocateFor, allocateFrom, checkDType, dtypeOf, type DType, type TypedArray } from './alloc.js';

// How messages write values and shapes (base/describe.ts), re-exported here beside the Tensor they describe.
export { describe, formatShape };

/** Nested number arrays of any depth: `[[1, 2], [3, 4]]`. */
export type NestedArray = number | NestedArray[];

/** The parts of a scijs `ndarray` we read (data, shape, stride, offset). */
export interface NdArrayLike {
  data: ArrayLike<number>;
  shape: number[];
  stride: number[];
  offset: number;
  get(...indices: number[]): number;
}

/** Anything the public API accepts where it wants numbers with a shape. */
export type TensorLike = Tensor | NestedArray | ArrayLike<number> | NdArrayLike;

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Whether two shapes are the same, axis for axis. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let axis = 0; axis < a.length; axis++) if (a[axis] !== b[axis]) return false;
  return true;
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}


function checkShape(shape: readonly number[], argument: string): void {
  if (!Array.isArray(shape)) throw new TypeError(`${argument}: expected an array of dimensions, got ${describe(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${argument}: every dimension must be a non-negative integer, got shape ${formatShape(shape)}`);
    }
  }
}

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly dtype: DType;
  /** Row-major values; `data.length === size`. */
  readonly data: TypedArray;

  constructor(data: TypedArray, shape: readonly number[]) {
    const dtype = dtypeOf(data);
    if (dtype === undefined) throw new TypeError('Tensor: data must be a Float32Array or Float64Array');
    checkShape(shape, 'Tensor shape');
    if (sizeOf(shape) !== data.length) {
      throw new RangeError(`Tensor: shape ${formatShape(shape)} holds ${sizeOf(shape)} values, but data has ${data.length}`);
    }
    this.data = data;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(rowMajorStrides(shape));
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** The value at the given indices (one per axis). For tests and inspection, not hot loops. */
  get(...indices: number[]): number {
    if (indices.length !== this.rank) {
      throw new RangeError(`Tensor.get: expected ${this.rank} indices, got ${indices.length}`);
    }
    let offset = 0;
    for (let axis = 0; axis < indices.length; axis++) {
      const i = indices[axis]!;
      if (!Number.isInteger(i) || i < 0 || i >= this.shape[axis]!) {
        throw new RangeError(`Tensor.get: index ${i} is out of range for axis ${axis} of shape ${formatShape(this.shape)}`);
      }
      offset += i * this.strides[axis]!;
    }
    return this.data[offset]!;
  }

  /** A tensor over the same storage with another shape of the same size (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy, optionally converted to another dtype. */
  clone(dtype: DType = this.dtype): Tensor {
    checkDType(dtype, 'Tensor.clone: dtype');
    return new Tensor(allocateFrom(dtype, this.data), this.shape);
  }

  /** Nested JavaScript arrays (a plain number for a rank-0 tensor). */
  toArray(): NestedArray {
    if (this.rank === 0) return this.data[0]!;
    const build = (axis: number, offset: number): NestedArray[] => {
      const n = this.shape[axis]!;
      const out: NestedArray[] = new Array(n);
      if (axis === this.rank - 1) {
        for (let i = 0; i < n; i++) out[i] = this.data[offset + i]!;
      } else {
        const stride = this.strides[axis]!;
        for (let i = 0; i < n; i++) out[i] = build(axis + 1, offset + i * stride);
      }
      return out;
    };
    return build(0, 0);
  }

  /**
   * A zero-copy scijs `ndarray` view: writes through it change this tensor. (ndarray compiles its
   * view class with `new Function` on first use: under a Content Security Policy without
   * 'unsafe-eval' this throws an EvalError, the one call of the core that does.)
   */
  toNdarray(): ndarray.NdArray<TypedArray> {
    return ndarray(this.data, [...this.shape], [...this.strides], 0);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }

  /** How error messages write a tensor they got (base/describe.ts). */
  [describeAs](): string {
    return `a tensor of shape ${formatShape(this.shape)}`;
  }
}

export function isNdArrayLike(value: unknown): value is NdArrayLike {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<NdArrayLike>;
  return v.data !== undefined && Array.isArray(v.shape) && Array.isArray(v.stride) && typeof v.offset === 'number';
}

/** The shape of nested arrays, read down the first element of each level. */
function inferNestedShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

/** Largest finite float32 (2^128 − 2^104); a finite number from about 3.4028235677973366e38 on rounds to ±Infinity in float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * What a value that should be a number is, for an error message: `the string "a"`, `null`,
 * `undefined`, `an object (Object)`, `the boolean true`, `an array of length 2`.
 */
function describeElement(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return describe(value);
}

/** Where `index` is, as the indices of each axis: `[1][0][2]`. */
function indexPath(index: number, shape: readonly number[]): string {
  const strides = rowMajorStrides(shape);
  let rest = index;
  let path = '';
  for (const s of strides) {
    path += `[${Math.floor(rest / s)}]`;
    rest %= s;
  }
  return path;
}

/**
 * Whether `value`, about to be stored as `dtype`, is a number and, for float32, one that does not
 * overflow it (a finite number past FLOAT32_MAX would become Infinity; ±Infinity and NaN stay
 * what they are, for the finiteness checks to report). When not, elementError names it (`where`:
 * `fit: x[0][1]`, `tensor: values[3]`) and says what it is.
 */
function storable(value: unknown, dtype: DType): value is number {
  return typeof value === 'number' && (dtype === 'float64' || !(Math.abs(value) > FLOAT32_MAX) || !Number.isFinite(value) || Number.isFinite(Math.fround(value)));
}

function elementError(value: unknown, where: string): never {
  if (typeof value !== 'number') throw new TypeError(`${where} is ${describeElement(value)}; expected a number`);
  throw new RangeError(`${where} is ${value}, which overflows float32 (largest 3.4028235e38); use dtype 'float64' or scale the data`);
}

/** Check every element of flat values about to be stored as `dtype` (see storable). */
function checkElements(values: ArrayLike<number>, dtype: DType, subject: string, shape: readonly number[]): void {
  if (dtype === 'float64' && (values instanceof Float64Array || values instanceof Float32Array)) return;
  if (dtype === 'float32' && values instanceof Float32Array) return;
  for (let i = 0; i < values.length; i++) if (!storable(values[i], dtype)) elementError(values[i], `${subject}${indexPath(i, shape)}`);
}

/**
 * Flatten nested arrays of the (inferred) shape into `out`. `subject` names the values in errors
 * (`tensor: values`, `fit: x`), so an element is reported as `fit: x[0][0][0] is the string "a";
 * expected a number`.
 */
function flattenNested(values: NestedArray, shape: readonly number[], out: TypedArray, subject: string): void {
  const dtype = out instanceof Float64Array ? 'float64' : 'float32';
  let cursor = 0;
  const path = (at: number[]): string => at.map((i) => `[${i}]`).join('');
  const walk = (node: NestedArray, axis: number, at: number[]): void => {
    if (axis === shape.length) {
      if (Array.isArray(node)) {
        throw new TypeError(`${subject}: ragged nested array: at ${formatShape(at)} expected a number, got an array of length ${node.length}`);
      }
      if (!storable(node, dtype)) elementError(node, `${subject}${path(at)}`);
      out[cursor++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[axis]) {
      const got = Array.isArray(node) ? `an array of length ${node.length}` : describeElement(node);
      throw new TypeError(`${subject}: ragged nested array: at ${formatShape(at)} expected an array of length ${shape[axis]}, got ${got}`);
    }
    for (let i = 0; i < node.length; i++) {
      if (!(i in node)) {
        const where = `${subject}${path([...at, i])}`;
        throw new TypeError(`${where} is a hole (an empty slot of a sparse array); expected ${axis + 1 === shape.length ? 'a number' : `an array of length ${shape[axis + 1]}`}`);
      }
      walk(node[i]!, axis + 1, [...at, i]);
    }
  };
  walk(values, 0, []);
}

/**
 * Copy an ndarray (any strides, any offset) into row-major `out`, checking first that its fields
 * describe storage it really has: a shape of non-negative integers, one integer stride per axis,
 * an integer offset, and every index it addresses inside `data`.
 */
function copyNdarray(values: NdArrayLike, dtype: DType, subject: string): TypedArray {
  const { shape, stride, offset, data } = values;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${subject}: an ndarray's shape must be non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (stride.length !== shape.length || !stride.every((d) => Number.isInteger(d))) {
    throw new TypeError(`${subject}: an ndarray's stride must be ${shape.length} integers (one per axis of shape ${formatShape(shape)}), got ${JSON.stringify(stride)}`);
  }
  if (!Number.isInteger(offset)) throw new TypeError(`${subject}: an ndarray's offset must be an integer, got ${describe(offset)}`);
  const size = sizeOf(shape);
  if (size === 0) return allocate(dtype, 0);
  const indexed = data !== null && typeof data === 'object' && typeof (data as ArrayLike<number>).length === 'number';
  if (!indexed && typeof values.get !== 'function') {
    throw new TypeError(`${subject}: an ndarray's data must be an array or typed array (or the ndarray must have get()), got ${describe(data)}`);
  }
  if (indexed) {
    let lo = offset;
    let hi = offset;
    for (let axis = 0; axis < shape.length; axis++) {
      const span = (shape[axis]! - 1) * stride[axis]!;
      if (span < 0) lo += span;
      else hi += span;
    }
    if (lo < 0 || hi >= data.length) {
      throw new RangeError(`${subject}: an ndarray of shape ${formatShape(shape)}, stride ${formatShape(stride)} and offset ${offset} addresses elements ${lo} to ${hi}, but its data has ${data.length}`);
    }
  }
  const out = allocateFor(dtype, size, () => `${subject}: an ndarray of shape ${formatShape(shape)}`);
  const trusted = (dtype === 'float64' && (data instanceof Float64Array || data instanceof Float32Array)) || (dtype === 'float32' && data instanceof Float32Array);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < size; i++) {
    const v = indexed ? data[at] : values.get(...index);
    if (!trusted && !storable(v, dtype)) elementError(v, `${subject}${indexPath(i, shape)}`);
    out[i] = v!;
    // The next index in row-major order (the last axis fastest), moving `at` by the strides.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      at += stride[axis]!;
      if (index[axis]! < shape[axis]!) break;
      at -= shape[axis]! * stride[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

/**
 * Create a tensor.
 * - `tensor([[1, 2], [3, 4]])`: nested arrays, shape inferred;
 * - `tensor(new Float32Array(6), [2, 3])` or `tensor([1, 2, 3, 4, 5, 6], [2, 3])`: flat values and a shape;
 * - `tensor(ndarray(...))`: a scijs ndarray (any strides), copied into contiguous storage;
 * - a Tensor: returned as is if the shape and dtype match, else reshaped / converted (copy).
 * A typed array of the right dtype is used without copying.
 */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  return tensorFrom(values, shape, dtype, 'tensor: values');
}

/** Errors that already name the argument (toTensor passes them on as they are). */
const located = new WeakSet<Error>();

function locate<E extends Error>(error: E): E {
  located.add(error);
  return error;
}

/**
 * `tensor`, with `subject` naming the values in the errors about their elements
 * (`tensor: values[0][1] is null; expected a number`, or through toTensor `fit: x[0][1] ...`).
 */
function tensorFrom(values: TensorLike, shape: readonly number[] | undefined, dtype: DType | undefined, subject: string): Tensor {
  if (dtype !== undefined) checkDType(dtype, 'tensor dtype');
  const checked = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      throw error instanceof Error ? locate(error) : error;
    }
  };
  if (values instanceof Tensor) {
    if (dtype === 'float32' && values.dtype === 'float64') checked(() => checkElements(values.data, 'float32', subject, values.shape));
    let t = dtype !== undefined && dtype !== values.dtype ? values.clone(dtype) : values;
    if (shape !== undefined) t = t.reshape(shape);
    return t;
  }
  if (values instanceof DataView) throw new TypeError(`tensor: expected a Tensor, nested number arrays, a typed array or an ndarray, got a DataView`);
  if (isNdArrayLike(values)) {
    const ndShape = shape ?? values.shape;
    if (shape !== undefined && sizeOf(shape) !== sizeOf(values.shape)) {
      throw new RangeError(`tensor: shape ${formatShape(shape)} does not match the ndarray's shape ${formatShape(values.shape)}`);
    }
    const target = dtype ?? dtypeOf(values.data) ?? 'float32';
    return new Tensor(checked(() => copyNdarray(values, target, subject)), ndShape);
  }
  if (ArrayBuffer.isView(values) || (Array.isArray(values) && shape !== undefined && values.every((v) => typeof v === 'number'))) {
    const flat = values as ArrayLike<number>;
    const target = dtype ?? dtypeOf(flat) ?? 'float32';
    const finalShape = shape ?? [flat.length];
    checkShape(finalShape, 'tensor shape');
    if (sizeOf(finalShape) !== flat.length) {
      throw new RangeError(`tensor: shape ${formatShape(finalShape)} holds ${sizeOf(finalShape)} values, but ${flat.length} were given`);
    }
    if (dtypeOf(flat) === target) return new Tensor(flat as TypedArray, finalShape);
    checked(() => checkElements(flat, target, subject, finalShape));
    return new Tensor(allocateFrom(target, flat), finalShape);
  }
  if (typeof values === 'number' || Array.isArray(values)) {
    const nested = values as NestedArray;
    const inferred = inferNestedShape(nested);
    const data = allocate(dtype ?? 'float32', sizeOf(inferred));
    checked(() => flattenNested(nested, inferred, data, subject)); // also rejects ragged arrays
    return new Tensor(data, shape ?? inferred);
  }
  throw new TypeError(`tensor: expected a Tensor, nested number arrays, a typed array or an ndarray, got ${describe(values)}`);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'zeros shape');
  checkDType(dtype, 'zeros: dtype');
  return new Tensor(allocateFor(dtype, sizeOf(shape), () => `zeros: shape ${formatShape(shape)}`), shape);
}


/**
 * Index of the first NaN or ±Infinity in `data`, or -1. Every gradient passes through here on
 * every training step, so the common all-finite case is one branch-free pass: v·0 is ±0 for a
 * finite v and NaN for NaN or ±Infinity, so four running sums of v·0 stay 0 exactly when every
 * value is finite. Only when one is not does a second pass find where.
 */
export function firstNonFinite(data: ArrayLike<number>): number {
  const n = data.length;
  const n4 = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < n4; i += 4) {
    s0 += data[i]! * 0;
    s1 += data[i + 1]! * 0;
    s2 += data[i + 2]! * 0;
    s3 += data[i + 3]! * 0;
  }
  for (let i = n4; i < n; i++) s0 += data[i]! * 0;
  if (s0 + s1 + s2 + s3 === 0) return -1;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i; // NaN - NaN and Inf - Inf are NaN
  }
  return -1;
}

/** Throw if `t` holds NaN or Infinity, naming the argument and the position. */
export function assertFinite(t: Tensor, argument: string): void {
  const at = firstNonFinite(t.data);
  if (at >= 0) {
    const indices: number[] = [];
    let rest = at;
    for (const s of t.strides) {
      indices.push(Math.floor(rest / s));
      rest %= s;
    }
    throw new RangeError(`${argument}: expected finite numbers, got ${t.data[at]} at index ${formatShape(indices)} of a tensor of shape ${formatShape(t.shape)}`);
  }
}

/**
 * Coerce what a public function was given (Tensor, nested arrays, typed array, ndarray) into a
 * Tensor of the wanted dtype, with errors that name the argument. A Tensor of the right dtype
 * is returned as is (no copy).
 */
export function toTensor(value: unknown, argument: string, dtype?: DType): Tensor {
  if (value instanceof Tensor && (dtype === undefined || value.dtype === dtype)) return value;
  const acceptable = value instanceof Tensor || typeof value === 'number' || Array.isArray(value) || ArrayBuffer.isView(value) || isNdArrayLike(value);
  if (!acceptable) {
    throw new TypeError(`${argument}: expected a Tensor, nested number arrays, a typed array or an ndarray, got ${describe(value)}`);
  }
  try {
    const flat = ArrayBuffer.isView(value) ? { shape: [(value as unknown as ArrayLike<number>).length] } : {};
    // Without a dtype, typed data keeps its own (a Float64Array stays float64); numbers become float32.
    return tensorFrom(value as TensorLike, (flat as { shape?: number[] }).shape, dtype, argument);
  } catch (error) {
    if (error instanceof Error && located.has(error)) throw error;
    const message = error instanceof Error ? error.message.replace(/^tensor: /, '') : String(error);
    throw new TypeError(`${argument}: ${message}`);
  }
}
