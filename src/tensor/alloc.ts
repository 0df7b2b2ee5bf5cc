/**
 * The one place where tensor storage is created.
 *
 * Every Float32Array / Float64Array that holds tensor data or a layer's working buffer comes from
 * `allocate`, so a later backend (a WebAssembly SIMD kernel with its own linear memory, say) can
 * hand out views into its own heap by replacing this module, without touching the layers.
 */

export type DType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** A zero-filled typed array of `length` elements of the given dtype. */
export function allocate(dtype: DType, length: number): TypedArray {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`allocate: length must be a non-negative integer, got ${length}`);
  }
  if (dtype === 'float64') return new Float64Array(length);
  if (dtype === 'float32') return new Float32Array(length);
  throw new TypeError(`allocate: dtype: expected 'float32' or 'float64', got ${JSON.stringify(dtype) ?? String(dtype)}`);
}

/**
 * `allocate`, for a length that a caller's argument decides (oneHot's depth, padSequences' maxlen):
 * where the engine cannot make an array that long, a RangeError that says which argument asked for
 * how much (`what`: "oneHot: depth 1000000000000 for 1 index"), instead of "Invalid typed array length".
 */
export function allocateFor(dtype: DType, length: number, what: () => string): TypedArray {
  try {
    return allocate(dtype, length);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const bytes = length * (dtype === 'float64' ? 8 : 4);
    throw new RangeError(`${what()} makes ${length} ${dtype} values (${bytes.toExponential(2)} bytes), more than can be allocated here (${error.message})`);
  }
}

/** A typed array of the given dtype holding a copy of `values`. */
export function allocateFrom(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

/** The dtype of a typed array, or undefined for anything else. */
export function dtypeOf(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

export function checkDType(dtype: unknown, argument: string): DType {
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  throw new TypeError(`${argument}: expected 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
}
