/**
 * gradCheck believes none of its options: an unknown name, a wrong type, a non-finite or
 * non-positive epsilon or floor, a seed that is not an integer in [0, 2**32) are refused before
 * anything runs, with an error naming the option, what it got and what it expects (a bad epsilon
 * used to give maxRelativeError NaN, which `err > tol` lets pass). A check whose gradients are
 * not finite stops with an error saying where, rather than returning NaN.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dense, LSTM, SGD, Sequential, gradCheck, tensor, type Tensor } from '../src/index.js';
import { describe as describeValue } from '../src/tensor/tensor.js';

function layer(): LSTM {
  const lstm = new LSTM({ units: 2, returnSequences: true, dtype: 'float64' });
  lstm.build([null, 2, 2]);
  return lstm;
}
const input = tensor([[[0.1, -0.2], [0.3, 0.4]]], undefined, 'float64');

function model(): Sequential {
  const m = new Sequential([new Dense({ units: 2, inputShape: [2] })], { dtype: 'float64' });
  m.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
  return m;
}

/** The three kinds of target, each made afresh. */
const targets = {
  layer: () => ({ layer: layer(), input }),
  loss: () => ({ loss: 'meanSquaredError', yPred: [[0.2, 0.7]], yTrue: [[0, 1]] }),
  model: () => ({ model: model(), x: [[1, 2]], y: [[0.5, -0.5]] }),
} as const;

/** Anything that is not a finite number > 0. */
const notPositive = fc.oneof(
  fc.double({ max: 0, noNaN: false }),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0),
  fc.string(),
  fc.constantFrom(null, true, false, [], {}, [1e-5], 1n),
);

describe('gradCheck options', () => {
  it('the defaults and good values still check (a correct LSTM, loss and model pass)', () => {
    for (const make of Object.values(targets)) {
      expect(gradCheck(make() as never).maxRelativeError).toBeLessThan(1e-6);
      expect(gradCheck(make() as never, { epsilon: 1e-6, floor: 1e-2 }).maxRelativeError).toBeLessThan(1e-5);
    }
    expect(gradCheck(targets.layer(), { seed: 2 ** 32 - 1 }).maxRelativeError).toBeLessThan(1e-6);
  });

  it('refuse a bad epsilon or floor by name, saying what they got and expect, for every kind of check', () => {
    fc.assert(
      fc.property(fc.constantFrom('epsilon', 'floor'), notPositive, fc.constantFrom(...(Object.keys(targets) as (keyof typeof targets)[])), (name, value, kind) => {
        const target = targets[kind]();
        const before = 'layer' in target ? target.layer.getWeights().map((w: Tensor) => Array.from(w.data)) : undefined;
        expect(() => gradCheck(target as never, { [name]: value })).toThrow(`gradCheck: options.${name}: expected a finite number > 0, got ${describeValue(value)}`);
        if (before !== undefined && 'layer' in target) expect(target.layer.getWeights().map((w: Tensor) => Array.from(w.data))).toEqual(before);
      }),
      { numRuns: 150, seed: 8 },
    );
  });

  it('the examples of the issue: epsilon 0, NaN, "a", Infinity and floor -1 are refused', () => {
    for (const epsilon of [0, NaN, 'a', Infinity]) {
      expect(() => gradCheck(targets.model(), { epsilon } as never)).toThrow(/^gradCheck: options\.epsilon: expected a finite number > 0, got /);
    }
    expect(() => gradCheck(targets.layer(), { floor: -1 })).toThrow('gradCheck: options.floor: expected a finite number > 0, got -1');
    expect(() => gradCheck(targets.layer(), { floor: 0 })).toThrow('gradCheck: options.floor: expected a finite number > 0, got 0');
  });

  it('refuse unknown option names, listing the known ones', () => {
    expect(() => gradCheck(targets.layer(), { eps: 1e-4 } as never)).toThrow("gradCheck: unknown option 'eps'; expected one of 'epsilon', 'floor', 'seed'");
    expect(() => gradCheck(targets.model(), { tolerance: 1e-4 } as never)).toThrow("gradCheck: unknown option 'tolerance'; expected one of 'epsilon', 'floor', 'seed'");
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((k) => !['epsilon', 'floor', 'seed'].includes(k) && k !== '__proto__'), (key) => {
        expect(() => gradCheck(targets.loss() as never, { [key]: 1 } as never)).toThrow(`gradCheck: unknown option '${key}'`);
      }),
      { numRuns: 50, seed: 9 },
    );
    expect(() => gradCheck(targets.layer(), null as never)).toThrow('gradCheck: options must be an object, got null');
    expect(() => gradCheck(targets.layer(), 5 as never)).toThrow('gradCheck: options must be an object, got 5');
  });

  it('refuse a seed that is not an integer in [0, 2**32), and a seed for a check with nothing random', () => {
    for (const seed of [1.5, -1, 2 ** 32, NaN, '1', null]) {
      expect(() => gradCheck(targets.layer(), { seed } as never)).toThrow(`gradCheck: options.seed: expected an integer in [0, 2**32), got ${describeValue(seed)}`);
    }
    expect(() => gradCheck(targets.model(), { seed: 3 } as never)).toThrow('gradCheck: options.seed applies only to a { layer, input } check');
  });

  it('refuse a target with unknown or missing fields, or of the wrong kind', () => {
    expect(() => gradCheck({ layer: layer(), inputs: input } as never)).toThrow("gradCheck: target: unknown option 'inputs'; expected one of 'layer', 'input', 'outputGradient'");
    expect(() => gradCheck({ model: model(), x: [[1, 2]] } as never)).toThrow('gradCheck: target.y is missing; a check of this kind takes { model, x, y }');
    expect(() => gradCheck({ layer: 5, input } as never)).toThrow('gradCheck: target.layer: expected a layer (new LSTM(...), new Dense(...)), got 5');
    expect(() => gradCheck({ model: {}, x: [[1]], y: [[1]] } as never)).toThrow('gradCheck: target.model: expected a compiled Sequential, got an object (Object)');
  });
});

describe('gradients that are not finite', () => {
  it('stop the check with an error saying which argument, where, and what was not finite', () => {
    class NaNGradient extends LSTM {
      override backward(dy: Tensor): Tensor {
        const dx = super.backward(dy);
        dx.data[3] = NaN;
        return dx;
      }
    }
    const bad = new NaNGradient({ units: 2, returnSequences: true, dtype: 'float64' });
    bad.build([null, 2, 2]);
    expect(() => gradCheck({ layer: bad, input })).toThrow('gradCheck: input at index [0, 1, 1]: the analytic gradient is NaN; no relative error can be computed');
  });
});
