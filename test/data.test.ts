/**
 * src/data: oneHot, toCategorical, argmax, padSequences and the batching helpers.
 *
 * Golden values are the examples in the Keras documentation (keras.utils.to_categorical,
 * keras.preprocessing.sequence.pad_sequences), checked against NumPy by hand; the rest are
 * properties (fast-check) and the exact error messages.
 */
import { describe as group, expect, it } from 'vitest';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { argmax, argmaxRows, batchIndices, gatherRows, oneHot, padSequences, sliceRows, splitValidation, toCategorical } from '../src/data/index.js';
import { setSeed } from '../src/tensor/random.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';

/** The same matrix as a transposed (non-contiguous) ndarray: stored as Mᵀ, viewed as M. */
function transposedNdarray(m: number[][]): ndarray.NdArray<Float64Array> {
  const rows = m.length;
  const cols = m[0]!.length;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = m[i]![j]!;
  return ndarray(data, [cols, rows]).transpose(1, 0);
}

/** Every accepted form of one 2-D input: nested arrays, Tensor, typed array + shape, ndarrays. */
function forms2d(m: number[][]): [string, unknown][] {
  const flat = m.flat();
  const shape = [m.length, m[0]!.length];
  const forms: [string, unknown][] = [
    ['nested arrays', m],
    ['Tensor', tensor(m)],
    ['typed array with shape', tensor(Float32Array.from(flat), shape)],
    ['ndarray', ndarray(Float64Array.from(flat), shape)],
    ['ndarray over a plain array', ndarray(flat, shape)],
    ['transposed ndarray', transposedNdarray(m)],
  ];
  if (flat.every(Number.isInteger)) forms.push(['Int32Array with shape', tensor(Int32Array.from(flat), shape)]);
  return forms;
}

group('oneHot', () => {
  it('puts a 1 at each index, with shape [...indices.shape, depth]', () => {
    const t = oneHot([[1, 0], [2, 2]], 3);
    expect(t.shape).toEqual([2, 2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([
      [[0, 1, 0], [1, 0, 0]],
      [[0, 0, 1], [0, 0, 1]],
    ]);
  });

  it('handles a scalar index, an empty index list, and float64', () => {
    expect(oneHot(2, 4).toArray()).toEqual([0, 0, 1, 0]);
    expect(oneHot([], 3).shape).toEqual([0, 3]);
    const t = oneHot([0, 1], 2, 'float64');
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([[1, 0], [0, 1]]);
  });

  it('gives the same result for every input form', () => {
    const m = [[0, 2, 1], [3, 3, 0]];
    const expected = oneHot(m, 4).toArray();
    for (const [name, form] of forms2d(m)) {
      expect(oneHot(form as never, 4).toArray(), name).toEqual(expected);
    }
    expect(oneHot(new Int32Array([1, 0]), 2).toArray()).toEqual([[0, 1], [1, 0]]);
  });

  it('rejects bad indices, depth and dtype, saying which and what was expected', () => {
    expect(() => oneHot([1, 3], 3)).toThrow('oneHot: indices: expected integer class indices in [0, 3), got 3 at index [1] of a tensor of shape [2]');
    expect(() => oneHot([[0, 1], [-1, 0]], 3)).toThrow('oneHot: indices: expected integer class indices in [0, 3), got -1 at index [1, 0] of a tensor of shape [2, 2]');
    expect(() => oneHot([1.5], 3)).toThrow('oneHot: indices: expected integer class indices in [0, 3), got 1.5 at index [0] of a tensor of shape [1]');
    expect(() => oneHot([NaN], 3)).toThrow('oneHot: indices: expected integer class indices in [0, 3), got NaN at index [0]');
    // A non-integer close to an integer is not rounded away by a float32 conversion.
    expect(() => oneHot([1.0000001], 3)).toThrow('got 1.0000001 at index [0]');
    expect(() => oneHot([0], 0)).toThrow('oneHot: depth: expected a positive integer, got 0');
    expect(() => oneHot([0], 2.5)).toThrow('oneHot: depth: expected a positive integer, got 2.5');
    expect(() => oneHot([0], 2, 'int32' as never)).toThrow(`oneHot: dtype: expected 'float32' or 'float64', got "int32"`);
    expect(() => oneHot('abc' as never, 2)).toThrow('oneHot: indices: expected a Tensor, nested number arrays, a typed array or an ndarray, got "abc"');
    expect(() => oneHot([[1], [1, 2]], 3)).toThrow('oneHot: indices: ragged nested array: at [1] expected an array of length 1, got an array of length 2');
  });
});

group('toCategorical', () => {
  it('matches the Keras doc example', () => {
    // keras.utils.to_categorical([0, 1, 2, 3], num_classes=4)
    expect(toCategorical([0, 1, 2, 3], 4).toArray()).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
  });

  it('infers numClasses as max + 1', () => {
    const t = toCategorical([2, 0, 1]);
    expect(t.shape).toEqual([3, 3]);
    expect(t.toArray()).toEqual([[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
    expect(toCategorical([0, 0]).toArray()).toEqual([[1], [1]]);
  });

  it('squeezes a last axis of size 1: [N, 1] -> [N, C], [N, T, 1] -> [N, T, C]', () => {
    const t = toCategorical([[1], [0], [3]]);
    expect(t.shape).toEqual([3, 4]);
    expect(t.toArray()).toEqual([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]);
    expect(toCategorical([[[1], [0]]], 2).toArray()).toEqual([[[0, 1], [1, 0]]]);
    // A rank-1 [1] vector is not squeezed (Keras squeezes only when rank > 1).
    expect(toCategorical([2]).shape).toEqual([1, 3]);
    // [N, 2] is not a column: one one-hot row per entry.
    expect(toCategorical([[0, 1]], 2).shape).toEqual([1, 2, 2]);
  });

  it('honours dtype and every input form', () => {
    expect(toCategorical([1, 0], 2, 'float64').dtype).toBe('float64');
    const m = [[1], [0], [2]];
    const expected = toCategorical(m).toArray();
    for (const [name, form] of forms2d(m)) expect(toCategorical(form as never).toArray(), name).toEqual(expected);
  });

  it('rejects bad class vectors and numClasses', () => {
    expect(() => toCategorical([])).toThrow('toCategorical: y is empty (shape [0]), so the number of classes cannot be inferred; pass numClasses');
    expect(toCategorical([], 3).shape).toEqual([0, 3]);
    expect(() => toCategorical([0, -1])).toThrow('toCategorical: y: expected non-negative integer class indices, got -1 at index [1] of a tensor of shape [2]');
    expect(() => toCategorical([[0.5]])).toThrow('toCategorical: y: expected non-negative integer class indices, got 0.5 at index [0, 0] of a tensor of shape [1, 1]');
    expect(() => toCategorical([[0], [3]], 3)).toThrow('toCategorical: y: expected integer class indices in [0, 3), got 3 at index [1, 0] of a tensor of shape [2, 1]');
    expect(() => toCategorical([0], 0)).toThrow('toCategorical: numClasses: expected a positive integer, got 0');
    expect(() => toCategorical([0], 2, 'int8' as never)).toThrow(`toCategorical: dtype: expected 'float32' or 'float64', got "int8"`);
    expect(() => toCategorical({} as never)).toThrow('toCategorical: y: expected a Tensor, nested number arrays, a typed array or an ndarray, got an object (Object)');
  });
});

group('argmax', () => {
  it('returns float32 indices over the last axis by default', () => {
    const t = argmax([[1, 3, 2], [5, 0, 1]]);
    expect(t.shape).toEqual([2]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([1, 0]);
    expect(argmax([0.1, 0.7, 0.2]).toArray()).toBe(1);
  });

  it('works over any axis, negative axes counting from the end', () => {
    const x = [
      [[1, 9], [4, 2], [0, 3]],
      [[7, 1], [2, 8], [5, 6]],
    ]; // [2, 3, 2]
    expect(argmax(x, 0).toArray()).toEqual([[1, 0], [0, 1], [1, 1]]);
    expect(argmax(x, 1).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(argmax(x, 2).toArray()).toEqual([[1, 0, 1], [0, 1, 1]]);
    expect(argmax(x, -1).toArray()).toEqual(argmax(x, 2).toArray());
    expect(argmax(x, -3).toArray()).toEqual(argmax(x, 0).toArray());
  });

  it('takes the first maximum on ties, and the first NaN as NumPy does', () => {
    expect(argmax([[2, 5, 5], [1, 1, 1]]).toArray()).toEqual([1, 0]);
    expect(argmax([[1, NaN, 3, NaN]]).toArray()).toEqual([1]);
    expect(argmax([[NaN, 4]]).toArray()).toEqual([0]);
    expect(argmax([[-Infinity, -Infinity]]).toArray()).toEqual([0]);
    // Values that differ only beyond float32 precision are still told apart.
    expect(argmax([0.1, 0.1 + 1e-12]).toArray()).toBe(1);
  });

  it('gives the same result for every input form', () => {
    const m = [[0.1, 0.5, 0.4], [3, -1, 7], [2, 2, 1]];
    for (const axis of [0, 1]) {
      const expected = argmax(m, axis).toArray();
      for (const [name, form] of forms2d(m)) expect(argmax(form as never, axis).toArray(), `${name}, axis ${axis}`).toEqual(expected);
    }
  });

  it('rejects scalars, bad axes and empty axes', () => {
    expect(() => argmax(3)).toThrow('argmax: x: expected a tensor of rank 1 or more, got a scalar (shape [])');
    expect(() => argmax([[1, 2]], 2)).toThrow('argmax: axis: expected an integer in [-2, 2) for x of shape [1, 2], got 2');
    expect(() => argmax([[1, 2]], -3)).toThrow('argmax: axis: expected an integer in [-2, 2) for x of shape [1, 2], got -3');
    expect(() => argmax([[1, 2]], 0.5)).toThrow('argmax: axis: expected an integer in [-2, 2) for x of shape [1, 2], got 0.5');
    expect(() => argmax(tensor(new Float32Array(0), [2, 0]))).toThrow('argmax: x: axis 1 of shape [2, 0] is empty, so it has no maximum');
    expect(() => argmax(null as never)).toThrow('argmax: x: expected a Tensor, nested number arrays, a typed array or an ndarray, got null');
  });
});

group('argmaxRows', () => {
  it('gives integer class indices for every row of the last axis', () => {
    const x = tensor([[[0.1, 0.9], [0.8, 0.2]], [[0.5, 0.5], [0, 1]]]);
    const rows = argmaxRows(x);
    expect(rows).toBeInstanceOf(Int32Array);
    expect([...rows]).toEqual([1, 0, 0, 1]);
    const out = new Int32Array(4);
    expect(argmaxRows(x, out)).toBe(out);
    expect([...out]).toEqual([1, 0, 0, 1]);
  });

  it('rejects non-tensors, empty rows and a wrong-sized out', () => {
    expect(() => argmaxRows([[1, 2]] as never)).toThrow('argmaxRows: x: expected a Tensor of rank 1 or more, got an array of length 1');
    expect(() => argmaxRows(tensor(new Float32Array(0), [3, 0]))).toThrow('argmaxRows: x: the last axis of shape [3, 0] is empty, so it has no maximum');
    expect(() => argmaxRows(tensor([[1, 2]]), new Int32Array(2))).toThrow('argmaxRows: out: expected an Int32Array of length 1 for x of shape [1, 2], got length 2');
  });
});

group('oneHot and argmax are inverses (property)', () => {
  it('argmax(oneHot(i, d)) = i for random index arrays and shapes', () => {
    const input = fc
      .record({ depth: fc.integer({ min: 1, max: 7 }), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) })
      .chain(({ depth, shape }) =>
        fc.record({
          depth: fc.constant(depth),
          shape: fc.constant(shape),
          values: fc.array(fc.integer({ min: 0, max: depth - 1 }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }),
        }),
      );
    fc.assert(
      fc.property(input, ({ depth, shape, values }) => {
        const indices = tensor(values, shape);
        const encoded = oneHot(indices, depth);
        expect(encoded.shape).toEqual([...shape, depth]);
        // Each row holds exactly one 1.
        for (let r = 0; r < values.length; r++) {
          const row = Array.from(encoded.data.subarray(r * depth, (r + 1) * depth));
          expect(row.filter((v) => v === 1).length).toBe(1);
          expect(row.filter((v) => v === 0).length).toBe(depth - 1);
        }
        const decoded = argmax(encoded);
        expect(decoded.shape).toEqual(shape);
        expect(Array.from(decoded.data)).toEqual(values);
        expect(Array.from(argmaxRows(encoded))).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });
});

group('padSequences', () => {
  const sequence = [[1], [2, 3], [4, 5, 6]];

  it('matches the Keras doc examples', () => {
    expect(padSequences(sequence).toArray()).toEqual([[0, 0, 1], [0, 2, 3], [4, 5, 6]]);
    expect(padSequences(sequence, { value: -1 }).toArray()).toEqual([[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]);
    expect(padSequences(sequence, { padding: 'post' }).toArray()).toEqual([[1, 0, 0], [2, 3, 0], [4, 5, 6]]);
    expect(padSequences(sequence, { maxlen: 2 }).toArray()).toEqual([[0, 1], [2, 3], [5, 6]]);
  });

  it('truncates at either end and pads to a longer maxlen', () => {
    expect(padSequences(sequence, { maxlen: 2, truncating: 'post' }).toArray()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(padSequences(sequence, { maxlen: 2, padding: 'post', truncating: 'post' }).toArray()).toEqual([[1, 0], [2, 3], [4, 5]]);
    expect(padSequences(sequence, { maxlen: 2, padding: 'post', truncating: 'pre' }).toArray()).toEqual([[1, 0], [2, 3], [5, 6]]);
    expect(padSequences(sequence, { maxlen: 5, value: 9 }).toArray()).toEqual([[9, 9, 9, 9, 1], [9, 9, 9, 2, 3], [9, 9, 4, 5, 6]]);
    expect(padSequences(sequence, { maxlen: 0 }).shape).toEqual([3, 0]);
    expect(padSequences(sequence, { maxlen: null }).shape).toEqual([3, 3]);
  });

  it('pads sequences of feature vectors to [N, maxlen, F]', () => {
    const t = padSequences([[[1, 2]], [], [[3, 4], [5, 6], [7, 8]]], { maxlen: 2 });
    expect(t.shape).toEqual([3, 2, 2]);
    expect(t.toArray()).toEqual([
      [[0, 0], [1, 2]],
      [[0, 0], [0, 0]],
      [[5, 6], [7, 8]],
    ]);
    expect(padSequences([[[1, 2]], [[3, 4], [5, 6]]], { padding: 'post', value: -1 }).toArray()).toEqual([
      [[1, 2], [-1, -1]],
      [[3, 4], [5, 6]],
    ]);
  });

  it('allows empty sequences and an empty list', () => {
    expect(padSequences([[], [1]]).toArray()).toEqual([[0], [1]]);
    expect(padSequences([[], []]).shape).toEqual([2, 0]);
    expect(padSequences([]).shape).toEqual([0, 0]);
    expect(padSequences([], { maxlen: 4 }).shape).toEqual([0, 4]);
  });

  it('honours dtype', () => {
    const t = padSequences([[0.1]], { dtype: 'float64', maxlen: 2 });
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([[0, 0.1]]);
    expect(padSequences([[0.1]]).dtype).toBe('float32');
  });

  it('accepts sequences as typed arrays, Tensors and ndarrays, and a whole tensor of rows', () => {
    const expected = [[0, 0, 1], [0, 2, 3], [4, 5, 6]];
    expect(padSequences([new Float32Array([1]), new Int32Array([2, 3]), [4, 5, 6]]).toArray()).toEqual(expected);
    expect(padSequences([tensor([1]), ndarray([2, 3]), ndarray(new Float64Array([4, 5, 6]))]).toArray()).toEqual(expected);
    // A sequence of feature vectors given as a transposed ndarray.
    expect(padSequences([transposedNdarray([[1, 2], [3, 4]])], { maxlen: 3 }).toArray()).toEqual([[[0, 0], [1, 2], [3, 4]]]);
    // Rows of a 2-D input are sequences of equal length: same result from every form.
    const m = [[1, 2, 3], [4, 5, 6]];
    for (const [name, form] of forms2d(m)) {
      if (Array.isArray(form)) continue;
      expect(padSequences(form as never, { maxlen: 4, padding: 'post' }).toArray(), name).toEqual([[1, 2, 3, 0], [4, 5, 6, 0]]);
      expect(padSequences(form as never, { maxlen: 2 }).toArray(), name).toEqual([[2, 3], [5, 6]]);
    }
  });

  it('rejects bad sequences and options with messages that say what was expected', () => {
    expect(() => padSequences([[1], [[1, 2]]])).toThrow('padSequences: sequences[1]: expected numbers as elements (as in sequences[0]), got elements of shape [2]');
    expect(() => padSequences([[], [[1, 2]], [[1, 2, 3]]])).toThrow('padSequences: sequences[2]: expected elements of shape [2] (as in sequences[1]), got elements of shape [3]');
    expect(() => padSequences([[[1, 2], [3]]] as never)).toThrow('padSequences: sequences[0]: ragged nested array: at [1] expected an array of length 2, got an array of length 1');
    expect(() => padSequences([1, 2] as never)).toThrow('padSequences: sequences[0]: expected a sequence (an array of numbers or of feature vectors), got 1');
    expect(() => padSequences('abc' as never)).toThrow('padSequences: sequences: expected an array of sequences, a Tensor or an ndarray, got "abc"');
    expect(() => padSequences(new Float32Array(3) as never)).toThrow('padSequences: sequences: expected an array of sequences, a Tensor or an ndarray, got an object (Float32Array)');
    expect(() => padSequences(tensor([1, 2, 3]))).toThrow('padSequences: sequences: expected a tensor of rank 2 or more (one row per sequence), got shape [3]');
    expect(() => padSequences([[1]], { maxLen: 3 } as never)).toThrow(`padSequences: unknown option 'maxLen'; expected one of 'maxlen', 'padding', 'truncating', 'value', 'dtype'`);
    expect(() => padSequences([[1]], { padding: 'both' } as never)).toThrow(`padSequences: padding: expected 'pre' or 'post', got "both"`);
    expect(() => padSequences([[1]], { truncating: 'start' } as never)).toThrow(`padSequences: truncating: expected 'pre' or 'post', got "start"`);
    expect(() => padSequences([[1]], { maxlen: -1 })).toThrow('padSequences: maxlen: expected a non-negative integer (or undefined for the longest sequence), got -1');
    expect(() => padSequences([[1]], { maxlen: 2.5 })).toThrow('padSequences: maxlen: expected a non-negative integer (or undefined for the longest sequence), got 2.5');
    expect(() => padSequences([[1]], { value: NaN })).toThrow('padSequences: value: expected a finite number, got NaN');
    expect(() => padSequences([[1]], { value: '0' } as never)).toThrow('padSequences: value: expected a finite number, got "0"');
    expect(() => padSequences([[1]], { dtype: 'int32' } as never)).toThrow(`padSequences: dtype: expected 'float32' or 'float64', got "int32"`);
    expect(() => padSequences([[1]], 'post' as never)).toThrow('padSequences: options must be an object, got "post"');
  });

  it('keeps the right elements in order, with padding on the right side (property)', () => {
    const input = fc.record({
      sequences: fc.array(fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 8 }), { maxLength: 6 }),
      maxlen: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      padding: fc.constantFrom('pre' as const, 'post' as const),
      truncating: fc.constantFrom('pre' as const, 'post' as const),
      value: fc.integer({ min: -5, max: 5 }),
    });
    fc.assert(
      fc.property(input, ({ sequences, maxlen, padding, truncating, value }) => {
        const out = padSequences(sequences, { maxlen, padding, truncating, value });
        const longest = sequences.reduce((m, s) => Math.max(m, s.length), 0);
        const length = maxlen ?? longest;
        expect(out.shape).toEqual([sequences.length, length]);
        sequences.forEach((s, i) => {
          const row = Array.from(out.data.subarray(i * length, (i + 1) * length));
          const keep = Math.min(s.length, length);
          const kept = truncating === 'pre' ? s.slice(s.length - keep) : s.slice(0, keep);
          const [pad, body] = padding === 'pre' ? [row.slice(0, length - keep), row.slice(length - keep)] : [row.slice(keep), row.slice(0, keep)];
          expect(body).toEqual(kept);
          expect(pad).toEqual(new Array(length - keep).fill(value));
        });
      }),
      { numRuns: 300 },
    );
  });
});

group('batchIndices', () => {
  it('cuts 0..n-1 in order into batches, the last one smaller', () => {
    const batches = batchIndices(7, 3, false);
    expect(batches.map((b) => [...b])).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batches.every((b) => b instanceof Int32Array)).toBe(true);
    expect(batchIndices(0, 4, true)).toEqual([]);
    expect(batchIndices(3, 10, false).map((b) => [...b])).toEqual([[0, 1, 2]]);
  });

  it('shuffles with the library generator: reproducible under setSeed', () => {
    setSeed(1);
    const a = batchIndices(100, 32, true).map((b) => [...b]);
    setSeed(1);
    const b = batchIndices(100, 32, true).map((b) => [...b]);
    setSeed(2);
    const c = batchIndices(100, 32, true).map((b) => [...b]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.flat()).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('covers every index exactly once, with the right batch sizes (property)', () => {
    const input = fc.record({
      n: fc.integer({ min: 0, max: 300 }),
      batchSize: fc.integer({ min: 1, max: 64 }),
      shuffle: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    });
    fc.assert(
      fc.property(input, ({ n, batchSize, shuffle, seed }) => {
        setSeed(seed);
        const batches = batchIndices(n, batchSize, shuffle);
        expect(batches.length).toBe(Math.ceil(n / batchSize));
        batches.forEach((b, k) => expect(b.length).toBe(k < batches.length - 1 ? batchSize : n - batchSize * (batches.length - 1)));
        const all = batches.flatMap((b) => [...b]);
        const identity = Array.from({ length: n }, (_, i) => i);
        if (shuffle) expect([...all].sort((p, q) => p - q)).toEqual(identity);
        else expect(all).toEqual(identity);
        setSeed(seed);
        expect(batchIndices(n, batchSize, shuffle).flatMap((b) => [...b])).toEqual(all);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad arguments', () => {
    expect(() => batchIndices(-1, 2, false)).toThrow('batchIndices: numSamples: expected a non-negative integer, got -1');
    expect(() => batchIndices(2.5, 2, false)).toThrow('batchIndices: numSamples: expected a non-negative integer, got 2.5');
    expect(() => batchIndices(4, 0, false)).toThrow('batchIndices: batchSize: expected a positive integer, got 0');
    expect(() => batchIndices(4, 2, 'yes' as never)).toThrow('batchIndices: shuffle: expected true or false, got "yes"');
  });
});

group('sliceRows', () => {
  it('is a zero-copy view of rows [start, end): writes go through both ways', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const view = sliceRows(x, 1, 3);
    expect(view.shape).toEqual([2, 2]);
    expect(view.toArray()).toEqual([[3, 4], [5, 6]]);
    expect(view.data.buffer).toBe(x.data.buffer);
    view.data[0] = 30;
    expect(x.get(1, 0)).toBe(30);
    x.data[7] = 80;
    expect(sliceRows(x, 3, 4).toArray()).toEqual([[7, 80]]);
    expect(sliceRows(x, 2, 2).shape).toEqual([0, 2]);
  });

  it('works on 3-D data and on every input form', () => {
    const x = tensor([[[1], [2]], [[3], [4]], [[5], [6]]]);
    expect(sliceRows(x, 1, 3).toArray()).toEqual([[[3], [4]], [[5], [6]]]);
    const m = [[1, 2], [3, 4], [5, 6]];
    for (const [name, form] of forms2d(m)) expect(sliceRows(form as never, 1, 3).toArray(), name).toEqual([[3, 4], [5, 6]]);
  });

  it('rejects bad ranges and scalars', () => {
    const x = tensor([[1], [2], [3]]);
    expect(() => sliceRows(x, 2, 4)).toThrow('sliceRows: expected integers 0 <= start <= end <= 3 for t of shape [3, 1], got start 2, end 4');
    expect(() => sliceRows(x, 2, 1)).toThrow('sliceRows: expected integers 0 <= start <= end <= 3 for t of shape [3, 1], got start 2, end 1');
    expect(() => sliceRows(x, -1, 1)).toThrow('got start -1, end 1');
    expect(() => sliceRows(x, 0.5, 1)).toThrow('got start 0.5, end 1');
    expect(() => sliceRows(7, 0, 1)).toThrow('sliceRows: t: expected a tensor of rank 1 or more (samples first), got a scalar');
    expect(() => sliceRows(undefined as never, 0, 1)).toThrow('sliceRows: t: expected a Tensor, nested number arrays, a typed array or an ndarray, got undefined');
  });
});

group('gatherRows', () => {
  const x = tensor([[[0, 1]], [[10, 11]], [[20, 21]], [[30, 31]]]); // [4, 1, 2]

  it('copies the selected rows in order', () => {
    const g = gatherRows(x, [3, 0, 3, 2]);
    expect(g.shape).toEqual([4, 1, 2]);
    expect(g.toArray()).toEqual([[[30, 31]], [[0, 1]], [[30, 31]], [[20, 21]]]);
    g.data[0] = -1;
    expect(x.get(3, 0, 0)).toBe(30); // a copy, not a view
    expect(gatherRows(x, new Int32Array([2, 1, 0]), 1, 3).toArray()).toEqual([[[10, 11]], [[0, 1]]]);
    expect(gatherRows(x, [1], 0, 0).shape).toEqual([0, 1, 2]);
  });

  it('reuses out when it has the right shape and dtype, else allocates', () => {
    const out = new Tensor(new Float32Array(4), [2, 1, 2]);
    expect(gatherRows(x, [2, 1], 0, 2, out)).toBe(out);
    expect(out.toArray()).toEqual([[[20, 21]], [[10, 11]]]);
    const smaller = gatherRows(x, [3], 0, 1, out); // a last, smaller batch
    expect(smaller).not.toBe(out);
    expect(smaller.toArray()).toEqual([[[30, 31]]]);
    const wrongDtype = new Tensor(new Float64Array(4), [2, 1, 2]);
    expect(gatherRows(x, [0, 1], 0, 2, wrongDtype)).not.toBe(wrongDtype);
    expect(gatherRows(x, [0, 1], 0, 2, new Tensor(new Float32Array(4), [2, 2]))).not.toBe(out);
  });

  it('gathers shuffled batches that together rebuild the data (property)', () => {
    const input = fc.record({
      rows: fc.integer({ min: 1, max: 20 }),
      width: fc.integer({ min: 0, max: 4 }),
      batchSize: fc.integer({ min: 1, max: 8 }),
      seed: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(input, ({ rows, width, batchSize, seed }) => {
        const data = Float32Array.from({ length: rows * width }, (_, i) => i);
        const t = tensor(data, [rows, width]);
        setSeed(seed);
        for (const batch of batchIndices(rows, batchSize, true)) {
          const g = gatherRows(t, batch);
          expect(g.shape).toEqual([batch.length, width]);
          batch.forEach((r, k) => expect(Array.from(g.data.subarray(k * width, (k + 1) * width))).toEqual(Array.from(data.subarray(r * width, (r + 1) * width))));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('works on every input form', () => {
    const m = [[1, 2], [3, 4], [5, 6]];
    for (const [name, form] of forms2d(m)) expect(gatherRows(form as never, [2, 0]).toArray(), name).toEqual([[5, 6], [1, 2]]);
  });

  it('rejects bad indices, ranges and out, writing nothing', () => {
    const out = new Tensor(new Float32Array(4).fill(7), [2, 1, 2]);
    expect(() => gatherRows(x, [0, 4], 0, 2, out)).toThrow('gatherRows: indices[1]: expected a row index in [0, 4) for t of shape [4, 1, 2], got 4');
    expect(Array.from(out.data)).toEqual([7, 7, 7, 7]);
    expect(() => gatherRows(x, [0, 1.5])).toThrow('gatherRows: indices[1]: expected a row index in [0, 4) for t of shape [4, 1, 2], got 1.5');
    expect(() => gatherRows(x, [-1])).toThrow('gatherRows: indices[0]: expected a row index in [0, 4) for t of shape [4, 1, 2], got -1');
    expect(() => gatherRows(x, [0, 1], 1, 3)).toThrow('gatherRows: expected integers 0 <= start <= end <= 2 (the number of indices), got start 1, end 3');
    expect(() => gatherRows(x, 3 as never)).toThrow('gatherRows: indices: expected an array of row indices, got 3');
    expect(() => gatherRows(x, [0], 0, 1, [[1, 2]] as never)).toThrow('gatherRows: out: expected a Tensor, got an array of length 1');
    expect(() => gatherRows(x, [0, 1], 0, 2, sliceRows(x, 2, 4))).toThrow('gatherRows: out shares storage with t; rows would be overwritten while they are read');
    expect(() => gatherRows(5, [0])).toThrow('gatherRows: t: expected a tensor of rank 1 or more (samples first), got a scalar');
  });
});

group('splitValidation', () => {
  const x = tensor([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
  const y = tensor([10, 20, 30, 40, 50]);

  it('holds out the last fraction as views (Keras: first floor(N·(1 - split)) train)', () => {
    const s = splitValidation(x, y, 0.4);
    expect(s.x.toArray()).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(s.y.toArray()).toEqual([10, 20, 30]);
    expect(s.xVal!.toArray()).toEqual([[4, 4], [5, 5]]);
    expect(s.yVal!.toArray()).toEqual([40, 50]);
    s.xVal!.data[0] = 40;
    expect(x.get(3, 0)).toBe(40); // views, not copies
    x.data[6] = 4;
    // floor(5 · 0.9) = 4 train, 1 validation; floor(5 · 0.5) = 2 train.
    expect(splitValidation(x, y, 0.1).xVal!.shape).toEqual([1, 2]);
    expect(splitValidation(x, y, 0.5).x.shape).toEqual([2, 2]);
  });

  it('with 0 returns everything for training and no validation', () => {
    const s = splitValidation(x, y, 0);
    expect(s.x).toBe(x);
    expect(s.y).toBe(y);
    expect(s.xVal).toBeNull();
    expect(s.yVal).toBeNull();
  });

  it('accepts every input form', () => {
    const m = [[1, 2], [3, 4], [5, 6], [7, 8]];
    for (const [name, form] of forms2d(m)) {
      const s = splitValidation(form as never, [0, 1, 2, 3], 0.25);
      expect(s.x.toArray(), name).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(s.xVal!.toArray(), name).toEqual([[7, 8]]);
      expect(s.yVal!.toArray(), name).toEqual([3]);
    }
  });

  it('rejects bad fractions, mismatched sample counts and splits that leave a part empty', () => {
    for (const bad of [1, -0.1, 1.5, NaN]) {
      expect(() => splitValidation(x, y, bad)).toThrow(`splitValidation: validationSplit: expected a number in [0, 1), got ${bad}`);
    }
    expect(() => splitValidation(x, y, '0.2' as never)).toThrow('splitValidation: validationSplit: expected a number in [0, 1), got "0.2"');
    expect(() => splitValidation(x, [1, 2], 0.2)).toThrow('splitValidation: x and y must hold the same number of samples, got x of shape [5, 2] and y of shape [2]');
    expect(() => splitValidation([1], [1], 0.5)).toThrow('splitValidation: 1 sample is not enough to hold out validationSplit 0.5: it leaves 0 for training and 1 for validation; give more data or another validationSplit');
    // 1 - 1e-17 rounds to 1, so nothing would be held out.
    expect(() => splitValidation(x, y, 1e-17)).toThrow('splitValidation: 5 samples are not enough to hold out validationSplit 1e-17: it leaves 5 for training and 0 for validation; give more data or another validationSplit');
    expect(() => splitValidation(3, y, 0.2)).toThrow('splitValidation: x: expected a tensor of rank 1 or more (samples first), got a scalar');
    expect(() => splitValidation(x, 'y' as never, 0.2)).toThrow('splitValidation: y: expected a Tensor, nested number arrays, a typed array or an ndarray, got "y"');
  });
});
