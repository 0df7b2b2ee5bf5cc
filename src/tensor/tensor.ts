/**
 * Tensor: a shape over a contiguous, row-major Float32Array or Float64Array.
 *
 * Strides are row-major in elements: for shape [B, T, I] they are [T*I, I, 1]. Tensors never
 * alias strided views; data coming in strided (a transposed ndarray, say) is copied into
 * contiguous storage once, at the boundary, so every kernel can walk `data` with plain indices.
 */
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { allocate, allocateFrom, checkDType, dtypeOf, type DType, type TypedArray } from './alloc.js';

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

export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

function checkShape(shape: readonly number[], argument: string): void {
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

  /** A zero-copy scijs `ndarray` view: writes through it change this tensor. */
  toNdarray(): ndarray.NdArray<TypedArray> {
    return ndarray(this.data, [...this.shape], [...this.strides], 0);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
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

function flattenNested(values: NestedArray, shape: readonly number[], out: TypedArray, argument: string): void {
  let cursor = 0;
  const walk = (node: NestedArray, axis: number, path: number[]): void => {
    if (axis === shape.length) {
      if (typeof node !== 'number') {
        throw new TypeError(`${argument}: ragged nested array: at ${formatShape(path)} expected a number, got an array`);
      }
      out[cursor++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[axis]) {
      const got = Array.isArray(node) ? `an array of length ${node.length}` : typeof node;
      throw new TypeError(`${argument}: ragged nested array: at ${formatShape(path)} expected an array of length ${shape[axis]}, got ${got}`);
    }
    for (let i = 0; i < node.length; i++) walk(node[i]!, axis + 1, [...path, i]);
  };
  walk(values, 0, []);
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
  if (dtype !== undefined) checkDType(dtype, 'tensor dtype');
  if (values instanceof Tensor) {
    let t = dtype !== undefined && dtype !== values.dtype ? values.clone(dtype) : values;
    if (shape !== undefined) t = t.reshape(shape);
    return t;
  }
  if (isNdArrayLike(values)) {
    const ndShape = shape ?? values.shape;
    if (shape !== undefined && sizeOf(shape) !== sizeOf(values.shape)) {
      throw new RangeError(`tensor: shape ${formatShape(shape)} does not match the ndarray's shape ${formatShape(values.shape)}`);
    }
    const target = dtype ?? dtypeOf(values.data) ?? 'float32';
    const data = allocate(target, sizeOf(values.shape));
    // ops.assign copies any strided layout into our contiguous row-major storage.
    ops.assign(ndarray(data, [...values.shape]), values as unknown as ndarray.NdArray);
    return new Tensor(data, ndShape);
  }
  if (ArrayBuffer.isView(values) || (Array.isArray(values) && shape !== undefined && values.every((v) => typeof v === 'number'))) {
    const flat = values as ArrayLike<number>;
    const target = dtype ?? dtypeOf(flat) ?? 'float32';
    const finalShape = shape ?? [flat.length];
    checkShape(finalShape, 'tensor shape');
    if (sizeOf(finalShape) !== flat.length) {
      throw new RangeError(`tensor: shape ${formatShape(finalShape)} holds ${sizeOf(finalShape)} values, but ${flat.length} were given`);
    }
    const data = dtypeOf(flat) === target ? (flat as TypedArray) : allocateFrom(target, flat);
    return new Tensor(data, finalShape);
  }
  if (typeof values === 'number' || Array.isArray(values)) {
    const nested = values as NestedArray;
    const inferred = inferNestedShape(nested);
    const data = allocate(dtype ?? 'float32', sizeOf(inferred));
    flattenNested(nested, inferred, data, 'tensor'); // also rejects ragged arrays
    return new Tensor(data, shape ?? inferred);
  }
  throw new TypeError(`tensor: expected a Tensor, nested number arrays, a typed array or an ndarray, got ${describe(values)}`);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'zeros shape');
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

/** What an error message says it got: `0`, `"0"`, `undefined`, `an array of length 3`, `a tensor of shape [2, 3]`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof Tensor) return `a tensor of shape ${formatShape(value.shape)}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  if (typeof value === 'string') return JSON.stringify(value); // quoted: "0" is not the number 0
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  return String(value); // a number (NaN and Infinity included), a boolean, undefined, a symbol
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
  if (value instanceof Tensor) return dtype === undefined || value.dtype === dtype ? value : value.clone(dtype);
  const acceptable = typeof value === 'number' || Array.isArray(value) || ArrayBuffer.isView(value) || isNdArrayLike(value);
  if (!acceptable) {
    throw new TypeError(`${argument}: expected a Tensor, nested number arrays, a typed array or an ndarray, got ${describe(value)}`);
  }
  try {
    const flat = ArrayBuffer.isView(value) ? { shape: [(value as unknown as ArrayLike<number>).length] } : {};
    // Without a dtype, typed data keeps its own (a Float64Array stays float64); numbers become float32.
    return tensor(value as TensorLike, (flat as { shape?: number[] }).shape, dtype);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^tensor: /, '') : String(error);
    throw new TypeError(`${argument}: ${message}`);
  }
}
