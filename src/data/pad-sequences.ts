/**
 * Keras' `pad_sequences`: make sequences of different lengths into one [N, maxlen] tensor
 * (or [N, maxlen, ...F] when each element is a feature vector), padding and truncating at the
 * start ('pre', the default) or the end ('post').
 *
 *   padSequences([[1], [2, 3], [4, 5, 6]])                      -> [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
 *   padSequences([[1], [2, 3], [4, 5, 6]], { padding: 'post' }) -> [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
 *   padSequences([[4, 5, 6]], { maxlen: 2 })                    -> [[5, 6]]     (truncating 'pre')
 *
 * Differences from Keras: the default dtype is float32 (Keras: int32), as every tensor here is
 * floating point; `value` and every value of the sequences must be finite numbers (and fit in
 * float32 unless dtype is 'float64').
 */
import { allocateFor, checkDType, type DType } from '../tensor/alloc.js';
import { Tensor, describe, formatShape, isNdArrayLike, sameShape, sizeOf, type NdArrayLike, type TensorLike } from '../tensor/tensor.js';
import { checkOptions } from '../base/options.js';
import { formatPosition, readTensor } from './read.js';

export interface PadSequencesOptions {
  /** Length of every output sequence; default the longest input. */
  maxlen?: number | null;
  /** Where padding goes: 'pre' (before each sequence, the default) or 'post'. */
  padding?: 'pre' | 'post';
  /** Which end of a too-long sequence is cut: 'pre' (the start, the default) or 'post'. */
  truncating?: 'pre' | 'post';
  /** The padding value; default 0. */
  value?: number;
  dtype?: DType;
}

const OPTION_KEYS = ['maxlen', 'padding', 'truncating', 'value', 'dtype'] as const;

/**
 * `sequences`: an array of sequences, each an array (or typed array, Tensor, ndarray) of numbers
 * or of equal-shaped feature vectors; or one Tensor / ndarray whose rows are the sequences.
 * Empty sequences are allowed and come out as all padding.
 */
export function padSequences(
  sequences: readonly TensorLike[] | Tensor | NdArrayLike,
  options: PadSequencesOptions = {},
): Tensor {
  const o = checkOptions(options, OPTION_KEYS, 'padSequences');
  const padding = checkEnd(o.padding ?? 'pre', 'padding');
  const truncating = checkEnd(o.truncating ?? 'pre', 'truncating');
  const value = o.value ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`padSequences: value: expected a finite number, got ${describe(value)}`);
  }
  const dtype = checkDType(o.dtype ?? 'float32', 'padSequences: dtype');
  if (dtype === 'float32' && !Number.isFinite(Math.fround(value))) {
    throw new RangeError(`padSequences: value: ${value} overflows float32 (largest 3.4028235e38); use dtype 'float64' or a smaller value`);
  }
  const maxlenOption = o.maxlen ?? undefined;
  if (maxlenOption !== undefined && (typeof maxlenOption !== 'number' || !Number.isInteger(maxlenOption) || maxlenOption < 0)) {
    throw new RangeError(`padSequences: maxlen: expected a non-negative integer (or undefined for the longest sequence), got ${describe(maxlenOption)}`);
  }

  const rows = readSequences(sequences);
  // Every value finite, and representable in the output's dtype (the sequences are read in float64).
  rows.forEach((s, i) => {
    for (let k = 0; k < s.data.length; k++) {
      const v = s.data[k]!;
      if (!Number.isFinite(v) || (dtype === 'float32' && !Number.isFinite(Math.fround(v)))) {
        const where = `padSequences: sequences[${i}]${formatPosition(s.shape, k).replace(/^\[|\]$/g, '').split(', ').map((j) => `[${j}]`).join('')}`;
        throw new RangeError(Number.isFinite(v) ? `${where} is ${v}, which overflows float32 (largest 3.4028235e38); use dtype 'float64'` : `${where} is ${v}; expected a finite number`);
      }
    }
  });
  // Element shape from the first non-empty sequence, as Keras does; every other must agree.
  const first = rows.findIndex((s) => s.shape[0]! > 0);
  const elementShape = first < 0 ? [] : rows[first]!.shape.slice(1);
  rows.forEach((s, i) => {
    if (s.shape[0]! > 0 && !sameShape(s.shape.slice(1), elementShape)) {
      throw new RangeError(`padSequences: sequences[${i}]: expected ${elementName(elementShape)} (as in sequences[${first}]), got ${elementName(s.shape.slice(1))}`);
    }
  });

  const maxlen = maxlenOption ?? rows.reduce((m, s) => Math.max(m, s.shape[0]!), 0);
  const width = sizeOf(elementShape); // F: values per time step
  const out = allocateFor(dtype, rows.length * maxlen * width, () => `padSequences: maxlen ${maxlen} for ${rows.length} sequence${rows.length === 1 ? '' : 's'} of ${elementName(elementShape)}`); // (N, maxlen, F)
  if (value !== 0) out.fill(value);
  rows.forEach((s, i) => {
    const length = s.shape[0]!;
    const keep = Math.min(length, maxlen);
    const from = truncating === 'pre' ? length - keep : 0; // first kept step of the input
    const to = padding === 'pre' ? maxlen - keep : 0; // where it lands in the output row
    out.set(s.data.subarray(from * width, (from + keep) * width), (i * maxlen + to) * width);
  });
  return new Tensor(out, [rows.length, maxlen, ...elementShape]);
}

/** Each sequence as a tensor whose first axis is time. */
function readSequences(sequences: unknown): Tensor[] {
  if (Array.isArray(sequences)) {
    return sequences.map((s, i) => {
      const t = readTensor(s, `padSequences: sequences[${i}]`);
      if (t.rank === 0) {
        throw new TypeError(`padSequences: sequences[${i}]: expected a sequence (an array of numbers or of feature vectors), got ${describe(s)}`);
      }
      return t;
    });
  }
  if (sequences instanceof Tensor || isNdArrayLike(sequences)) {
    const t = readTensor(sequences, 'padSequences: sequences');
    if (t.rank < 2) {
      throw new RangeError(`padSequences: sequences: expected a tensor of rank 2 or more (one row per sequence), got shape ${formatShape(t.shape)}`);
    }
    const rowShape = t.shape.slice(1);
    const rowSize = sizeOf(rowShape);
    return Array.from({ length: t.shape[0]! }, (_, i) => new Tensor(t.data.subarray(i * rowSize, (i + 1) * rowSize), rowShape));
  }
  throw new TypeError(`padSequences: sequences: expected an array of sequences, a Tensor or an ndarray, got ${describe(sequences)}`);
}

function checkEnd(value: unknown, argument: 'padding' | 'truncating'): 'pre' | 'post' {
  if (value === 'pre' || value === 'post') return value;
  throw new TypeError(`padSequences: ${argument}: expected 'pre' or 'post', got ${JSON.stringify(value) ?? String(value)}`);
}

function elementName(shape: readonly number[]): string {
  return shape.length === 0 ? 'numbers as elements' : `elements of shape ${formatShape(shape)}`;
}
