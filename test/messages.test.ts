/**
 * Messages that used to say the wrong thing (issue 24, item 9), each now naming the argument,
 * what it got and what it expects; and each refused call leaves the model as it was. The element
 * messages (strings, null, holes, objects, float32 overflow, ndarray-like objects) are in
 * test/inputs.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, SGD, Sequential, oneHot, padSequences, setSeed, tensor, toCategorical, zeros } from '../src/index.js';
import { randomUniform } from '../src/tensor/random.js';

/** Every weight's values, and a prediction (to see a carried or changed state). */
function snapshot(model: Sequential): number[][] {
  return model.getWeights().map((w) => Array.from(w.data));
}

function sparseModel(): Sequential {
  setSeed(4);
  const model = new Sequential([new LSTM({ units: 3, inputShape: [2, 2] }), new Dense({ units: 3, activation: 'softmax' })]);
  model.compile({ optimizer: new Adam(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
const x = [[[0.1, 0.2], [0.3, -0.4]]];

describe('sizes that cannot be allocated', () => {
  it('oneHot, toCategorical, padSequences and zeros say which argument asked for how much', () => {
    expect(() => oneHot([0], 1e12)).toThrow(/^oneHot: depth 1000000000000 for 1 index makes 1000000000000 float32 values \(4\.00e\+12 bytes\), more than can be allocated here/);
    expect(() => oneHot([0, 1], 2 ** 31, 'float64')).toThrow(/^oneHot: depth 2147483648 for 2 indices makes 4294967296 float64 values/);
    expect(() => toCategorical([1e12])).toThrow(/^toCategorical: numClasses \(the largest class index in y, plus 1\) 1000000000001 for 1 index makes/);
    expect(() => toCategorical([1], 1e12)).toThrow(/^toCategorical: numClasses 1000000000000 for 1 index makes/);
    expect(() => padSequences([[1]], { maxlen: 1e12 })).toThrow(/^padSequences: maxlen 1000000000000 for 1 sequence of numbers as elements makes 1000000000000 float32 values/);
    expect(() => zeros([1e6, 1e6])).toThrow(/^zeros: shape \[1000000, 1000000\] makes 1000000000000 float32 values/);
  });

  it('zeros checks its dtype and shape', () => {
    expect(() => zeros([2], 'int32' as never)).toThrow(`zeros: dtype: expected 'float32' or 'float64', got "int32"`);
    expect(() => zeros(null as never)).toThrow('zeros shape: expected an array of dimensions, got null');
  });
});

describe('padSequences refuses values it cannot store', () => {
  it('a padding value or a sequence value that is not finite, or overflows float32', () => {
    expect(() => padSequences([[1]], { value: NaN })).toThrow('padSequences: value: expected a finite number, got NaN');
    expect(() => padSequences([[1]], { value: -Infinity })).toThrow('padSequences: value: expected a finite number, got -Infinity');
    expect(() => padSequences([[1]], { value: 1e39 })).toThrow("padSequences: value: 1e+39 overflows float32 (largest 3.4028235e38); use dtype 'float64' or a smaller value");
    expect(padSequences([[1]], { value: 1e39, maxlen: 2, dtype: 'float64' }).toArray()).toEqual([[1e39, 1]]);
    expect(() => padSequences([[1, NaN]])).toThrow('padSequences: sequences[0][1] is NaN; expected a finite number');
    expect(() => padSequences([[1], [2, Infinity]])).toThrow('padSequences: sequences[1][1] is Infinity; expected a finite number');
    expect(() => padSequences([[[1, 2]], [[3, -1e39]]])).toThrow("padSequences: sequences[1][0][1] is -1e+39, which overflows float32 (largest 3.4028235e38); use dtype 'float64'");
  });
});

describe('setSeed takes an integer in [0, 2**32)', () => {
  it('refuses what is not one, so that no two seeds that look different give one stream', () => {
    for (const seed of [1.5, -1, 2 ** 32, 2 ** 32 + 1, NaN, Infinity, -0.5]) {
      expect(() => setSeed(seed)).toThrow(new RangeError(`setSeed: seed: expected an integer in [0, 2**32) (0 to 4294967295), got ${seed}`));
    }
    expect(() => setSeed('1' as never)).toThrow(new TypeError('setSeed: seed: expected an integer in [0, 2**32) (0 to 4294967295), got "1"'));
    expect(() => setSeed(undefined as never)).toThrow('setSeed: seed: expected an integer in [0, 2**32) (0 to 4294967295), got undefined');
  });

  it('gives a different stream for every accepted seed tried, including both ends of the range', () => {
    const first = (seed: number): number => {
      setSeed(seed);
      return randomUniform();
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(first(a)).not.toBe(first(b));
      }),
      { numRuns: 100, seed: 10 },
    );
    expect(first(0)).not.toBe(first(2 ** 32 - 1));
    // The same seed, the same stream (what the refusals protect).
    expect(first(7)).toBe(first(7));
  });
});

describe('the model', () => {
  it('refuses a name that is not a non-empty string', () => {
    expect(() => new Sequential([], { name: 5 as never })).toThrow('Sequential: name: expected a non-empty string, got 5');
    expect(() => new Sequential([], { name: '' })).toThrow('Sequential: name: expected a non-empty string, got ""');
    expect(new Sequential([], { name: 'mine' }).name).toBe('mine');
  });

  it('evaluate checks verbose, before anything runs', () => {
    const model = sparseModel();
    for (const verbose of [2, 3, '1', true, -1]) {
      expect(() => model.evaluate(x, [1], { verbose: verbose as never })).toThrow(`evaluate: verbose: expected 0 or 1, got ${typeof verbose === 'string' ? `"${verbose}"` : verbose}`);
    }
    expect(model.evaluate(x, [1], { verbose: 0 }).loss).toBeGreaterThan(0);
  });

  it('fit, trainOnBatch, evaluate and computeGradients refuse the class index 2.0000001 that oneHot refuses, leaving the model as it was', () => {
    const model = sparseModel();
    const before = snapshot(model);
    const message = 'y: sparseCategoricalCrossentropy targets must be integer class indices in [0, 2] (the predictions have 3 classes), got 2.0000001 at index [0]';
    expect(() => oneHot([2.0000001], 3)).toThrow('oneHot: indices: expected integer class indices in [0, 3), got 2.0000001 at index [0]');
    expect(() => model.fit(x, [2.0000001], { verbose: 0 })).toThrow(message);
    expect(() => model.fit(x, [[2.0000001]], { verbose: 0 })).toThrow('got 2.0000001 at index [0, 0]');
    expect(() => model.fit(x, new Float64Array([2.0000001]), { verbose: 0 })).toThrow(message);
    expect(() => model.trainOnBatch(x, [2.0000001])).toThrow(message);
    expect(() => model.evaluate(x, [2.0000001])).toThrow(message);
    expect(() => model.computeGradients(x, [2.0000001])).toThrow(message);
    expect(snapshot(model)).toEqual(before);
    // An index that is exactly an integer trains, with the same bits whether given as 2 or 2.0.
    const a = sparseModel();
    a.fit(x, [2], { verbose: 0, epochs: 2 });
    const b = sparseModel();
    b.fit(x, new Float64Array([2.0]), { verbose: 0, epochs: 2 });
    expect(snapshot(a)).toEqual(snapshot(b));
  });

  it('trainOnBatch names itself, not fit, when training stops', () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
    model.compile({ optimizer: new SGD({ learningRate: 1e30 }), loss: 'meanSquaredError' });
    let error: Error | undefined;
    try {
      for (let i = 0; i < 10; i++) model.trainOnBatch([[1e10]], [[1]]);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/^trainOnBatch: the ((loss|loss gradient|gradient of \S+) became (-?Infinity|NaN)|update would make \S+ non-finite .*); training stopped and that batch was undone/);
    // fit still says fit, with the epoch and batch.
    const other = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
    other.compile({ optimizer: new SGD({ learningRate: 1e30 }), loss: 'meanSquaredError' });
    expect(() => other.fit([[1e10]], [[1]], { epochs: 10, verbose: 0 })).toThrow(/^fit: the .* at epoch \d+, batch 1; training stopped/);
  });
});

describe('dtypes', () => {
  it('a dtype that is not float32 or float64 is refused, not silently float32', () => {
    expect(() => tensor([1]).clone('int32' as never)).toThrow(`Tensor.clone: dtype: expected 'float32' or 'float64', got "int32"`);
    expect(() => tensor([1], undefined, 'float16' as never)).toThrow(`tensor dtype: expected 'float32' or 'float64', got "float16"`);
    expect(() => oneHot([1], 2, 'int32' as never)).toThrow(`oneHot: dtype: expected 'float32' or 'float64', got "int32"`);
    expect(() => padSequences([[1]], { dtype: 'int32' as never })).toThrow(`padSequences: dtype: expected 'float32' or 'float64', got "int32"`);
  });
});
