/**
 * How the core reads what it is given as numbers (src/tensor/tensor.ts): ndarrays of any strides
 * copied by lstm-ts' own loop (checked against ndarray-ops' `assign`, which the core no longer
 * imports: it generates code with `new Function`), malformed ndarray-like objects refused clearly,
 * and every element that is not a number, or that overflows float32, reported where it is and as
 * what it is, by every function that takes numbers (tensor, toTensor, the model, the data helpers).
 */
import fc from 'fast-check';
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { describe, expect, it } from 'vitest';
import { Dense, LSTM, SGD, Sequential, argmax, oneHot, padSequences, tensor, toCategorical } from '../src/index.js';
import { toTensor } from '../src/tensor/tensor.js';

describe('ndarrays of any layout', () => {
  it('are copied element for element as ndarray-ops assign copies them (any strides, negative ones, offsets, generic data)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 23 }),
        fc.boolean(),
        (shape, flips, permutationSeed, plain) => {
          const size = shape.reduce((a, b) => a * b, 1);
          const storage = Float64Array.from({ length: size + 3 }, (_, i) => i * 1.5 - 7);
          let view = ndarray(plain ? Array.from(storage) : storage, shape, undefined, 3);
          // a permutation of the axes and some axes reversed: strides of every sign and order
          const axes = shape.map((_, i) => i).sort((a, b) => ((a * 7 + permutationSeed) % 5) - ((b * 7 + permutationSeed) % 5) || a - b);
          view = view.transpose(...axes);
          const steps = view.shape.map((_, axis) => (flips[axis] ? -1 : 1));
          view = view.step(...steps);
          const expected = ndarray(new Float64Array(size), view.shape);
          ops.assign(expected, view);
          const got = tensor(view, undefined, 'float64');
          expect(got.shape).toEqual(view.shape);
          expect(Array.from(got.data)).toEqual(Array.from(expected.data as Float64Array));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('an object of the NdArrayLike type whose fields do not describe its data is refused by name', () => {
    const data = new Float32Array(6);
    const get = (): number => 0;
    expect(() => toTensor({ data, shape: [2, 3], stride: [3], offset: 0, get }, 'fit: x')).toThrow(
      "fit: x: an ndarray's stride must be 2 integers (one per axis of shape [2, 3]), got [3]",
    );
    expect(() => toTensor({ data, shape: [2, -3], stride: [3, 1], offset: 0, get }, 'fit: x')).toThrow("fit: x: an ndarray's shape must be non-negative integers, got [2,-3]");
    expect(() => toTensor({ data, shape: [2, 3], stride: [3, 1], offset: 1, get }, 'fit: x')).toThrow(
      'fit: x: an ndarray of shape [2, 3], stride [3, 1] and offset 1 addresses elements 1 to 6, but its data has 6',
    );
    expect(() => toTensor({ data, shape: [2, 3], stride: [3, 1.5], offset: 0, get }, 'x')).toThrow("x: an ndarray's stride must be 2 integers");
    expect(() => toTensor({ data, shape: [2, 3], stride: [3, 1], offset: 0.5, get }, 'x')).toThrow("x: an ndarray's offset must be an integer, got 0.5");
    expect(() => toTensor({ data: {}, shape: [1], stride: [1], offset: 0 }, 'x')).toThrow("x: an ndarray's data must be an array or typed array (or the ndarray must have get()), got an object (Object)");
    expect(() => toTensor({ data: ['a', 2], shape: [2], stride: [1], offset: 0, get }, 'predict: x')).toThrow('predict: x[0] is the string "a"; expected a number');
    expect(() => tensor({ data: [1e39], shape: [1], stride: [1], offset: 0, get })).toThrow('tensor: values[0] is 1e+39, which overflows float32 (largest 3.4028235e38)');
  });
});

describe('an element that is not a number is reported where it is and as what it is', () => {
  const bad: [unknown, string][] = [
    ['a', 'the string "a"'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{}, 'an object (Object)'],
    [true, 'the boolean true'],
    [5n, 'the bigint 5n'],
  ];

  it('by tensor and toTensor, nested or flat', () => {
    for (const [value, said] of bad) {
      expect(() => tensor([[1, 2], [3, value as number]])).toThrow(`tensor: values[1][1] is ${said}; expected a number`);
      expect(() => toTensor([[[value as number, 1]]], 'predict: x')).toThrow(`predict: x[0][0][0] is ${said}; expected a number`);
      expect(() => tensor([1, value as number, 3, 4], [2, 2])).toThrow(`tensor: values[1] is ${said}; expected a number`); // flat values: the flat index
    }
    // eslint-disable-next-line no-sparse-arrays
    expect(() => toTensor([[1, , 3]], 'fit: x')).toThrow('fit: x[0][1] is a hole (an empty slot of a sparse array); expected a number');
    // eslint-disable-next-line no-sparse-arrays
    expect(() => toTensor([[1, 2], , [5, 6]], 'fit: x')).toThrow('fit: x[1] is a hole (an empty slot of a sparse array); expected an array of length 2');
    expect(() => toTensor([[1, 2], 3], 'fit: x')).toThrow('fit: x: ragged nested array: at [1] expected an array of length 2, got 3');
    expect(() => toTensor([[1, 2], [3, [4]]], 'fit: x')).toThrow('fit: x: ragged nested array: at [1, 1] expected a number, got an array of length 1');
  });

  it('by the model and the data helpers, under their own argument names', () => {
    const model = new Sequential([new LSTM({ units: 2, inputShape: [1, 2] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
    const before = model.getWeights().map((w) => Array.from(w.data));
    expect(() => model.predict([[['a', 1]]] as never)).toThrow(/x\[0\]\[0\]\[0\] is the string "a"; expected a number/);
    expect(() => model.predict([[[null, 1]]] as never)).toThrow(/x\[0\]\[0\]\[0\] is null; expected a number/);
    expect(() => model.fit([[[1, 1]]], [[{}]] as never, { verbose: 0 })).toThrow(/y\[0\]\[0\] is an object \(Object\); expected a number/);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    expect(() => oneHot([[0], ['1']] as never, 3)).toThrow('oneHot: indices[1][0] is the string "1"; expected a number');
    expect(() => argmax([[1, null]] as never)).toThrow('argmax: x[0][1] is null; expected a number');
    expect(() => toCategorical([0, undefined] as never)).toThrow(/toCategorical: y.*\[1\] is undefined; expected a number/);
  });
});

describe('a finite number that overflows float32 is named as such, not reported as Infinity', () => {
  it('nested, flat, from a float64 typed array or Tensor, and through the model', () => {
    expect(() => tensor([[1, 1e39]])).toThrow('tensor: values[0][1] is 1e+39, which overflows float32 (largest 3.4028235e38)');
    expect(() => tensor([1, -1e39], [2])).toThrow('tensor: values[1] is -1e+39, which overflows float32');
    expect(() => tensor(new Float64Array([0, 0, 4e38]), [3], 'float32')).toThrow('tensor: values[2] is 4e+38, which overflows float32');
    expect(() => toTensor(tensor([[0, 4e38]], undefined, 'float64'), 'fit: y', 'float32')).toThrow('fit: y[0][1] is 4e+38, which overflows float32');
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    expect(() => model.predict([[1, 1e39]])).toThrow(/x\[0\]\[1\] is 1e\+39, which overflows float32 \(largest 3\.4028235e38\)/);
    // The largest float32 and what rounds down to it are fine; float64 takes 1e39; Infinity is not an overflow (the finiteness checks report it).
    expect(tensor([3.4028235e38]).data[0]).toBe(3.4028234663852886e38);
    expect(tensor([3.4028235677973362e38]).data[0]).toBe(3.4028234663852886e38);
    expect(tensor([1e39], undefined, 'float64').data[0]).toBe(1e39);
    expect(tensor([Infinity]).data[0]).toBe(Infinity);
  });
});

describe('padSequences, which also takes numbers', () => {
  it('reports a bad element of a sequence under its own name', () => {
    expect(() => padSequences([[1, 2], [3, 'x']] as never)).toThrow(/padSequences: sequences\[1\].*is the string "x"; expected a number/);
  });
});
