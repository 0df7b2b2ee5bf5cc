import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { Tensor, tensor, toTensor, zeros, assertFinite, firstNonFinite } from '../src/tensor/tensor.js';

describe('tensor creation', () => {
  it('infers the shape of nested arrays and stores them row-major', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.strides).toEqual([3, 1]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.get(1, 0)).toBe(4);
  });

  it('takes a flat array with a shape, and a typed array of the right dtype without copying', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(data, [3, 2]);
    expect(t.dtype).toBe('float64');
    expect(t.data).toBe(data);
    expect(t.get(2, 1)).toBe(6);
    expect(tensor([1, 2, 3, 4], [2, 2], 'float64').toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('copies a strided (transposed) ndarray into contiguous storage', () => {
    const nd = ndarray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(1, 0); // [[1,4],[2,5],[3,6]]
    const t = tensor(nd);
    expect(t.shape).toEqual([3, 2]);
    expect(t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });

  it('hands out a zero-copy ndarray view', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const view = t.toNdarray();
    expect(view.get(1, 0)).toBe(3);
    view.set(0, 1, 42);
    expect(t.get(0, 1)).toBe(42);
  });

  it('rejects ragged arrays, naming where', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array: at \[1\] expected an array of length 2, got an array of length 1/);
    expect(() => toTensor([[1, 2], [3, 'a' as unknown as number]], 'x')).toThrow(/^x\[1\]\[1\] is the string "a"; expected a number$/);
    expect(() => toTensor('abc', 'x')).toThrow(/x: expected a Tensor, nested number arrays, a typed array or an ndarray, got "abc"/);
  });

  it('rejects a shape that does not match the values', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/shape \[2, 2\] holds 4 values, but 3 were given/);
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(/shape \[2, 2\] holds 4 values, but data has 3/);
  });

  it('finds NaN and Infinity and says where', () => {
    const t = tensor([[1, 2], [3, NaN]]);
    expect(() => assertFinite(t, 'x')).toThrow('x: expected finite numbers, got NaN at index [1, 1] of a tensor of shape [2, 2]');
    expect(() => assertFinite(tensor([Infinity]), 'y')).toThrow(/got Infinity at index \[0\]/);
    expect(() => assertFinite(zeros([3, 2]), 'z')).not.toThrow();
  });

  it('round-trips nested arrays through tensor() and toArray() (property)', () => {
    const shapes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(shapes, fc.integer(), (shape, seed) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const flat = Array.from({ length: size }, (_, i) => ((seed + i * 7919) % 1000) / 8);
        const t = tensor(flat, shape, 'float64');
        const back = tensor(t.toArray(), undefined, 'float64');
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.data)).toEqual(flat);
      }),
    );
  });

  it('converts between dtypes on request', () => {
    const t = tensor([0.1, 0.2], undefined, 'float64');
    const f = t.clone('float32');
    expect(f.dtype).toBe('float32');
    expect(f.data[0]).toBe(Math.fround(0.1));
    expect(toTensor(t, 'x', 'float64')).toBe(t);
  });
});

describe('firstNonFinite', () => {
  it('finds the first NaN or ±Infinity exactly as a plain scan does, in float32, float64 and plain arrays (property)', () => {
    const special = fc.constantFrom(NaN, Infinity, -Infinity);
    const value = fc.oneof(
      { weight: 8, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
      { weight: 1, arbitrary: fc.constantFrom(0, -0, 3.4e38, -3.4e38, 1e-45, Number.MAX_VALUE) },
      { weight: 1, arbitrary: special },
    );
    const naive = (data: ArrayLike<number>) => {
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
      return -1;
    };
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.constantFrom('float32', 'float64', 'array'), (values, kind) => {
        const data = kind === 'float32' ? Float32Array.from(values) : kind === 'float64' ? Float64Array.from(values) : values;
        expect(firstNonFinite(data)).toBe(naive(data));
      }),
      { numRuns: 500 },
    );
  });

  it('sees one bad value among thousands of good ones wherever it is, and large finite values are not bad', () => {
    const data = new Float32Array(1003).fill(3.4e38); // v·0 is 0 even for the largest float32
    expect(firstNonFinite(data)).toBe(-1);
    for (const at of [0, 1, 2, 3, 998, 1000, 1001, 1002]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        data[at] = bad;
        expect(firstNonFinite(data)).toBe(at);
        data[at] = -1e-30;
      }
    }
  });
});
