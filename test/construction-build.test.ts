/**
 * Weights drawn at construction (issue #25): a Sequential whose first layer declares inputShape /
 * batchInputShape is built as its layers are added, as Keras builds it, so its weights depend
 * only on the seed and the order of construction: `setSeed(22); a = make(); setSeed(22);
 * b = make();` gives two identical models whatever is used first. (Before, such a model drew its
 * weights when first used, so `a`, used after `b` was made, took the draws after `b`'s.)
 */
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, Sequential, setSeed, tensor, type Tensor } from '../src/index.js';
import { expectBitIdentical } from './model-helpers.js';

const make = (): Sequential => {
  const model = new Sequential([
    new LSTM({ units: 4, inputShape: [3, 2], returnSequences: true }),
    new LSTM({ units: 3 }),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  return model;
};

const x = tensor([[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], [[0.7, 0.1], [-0.3, -0.9], [0.2, 0.5]]]);
const y = tensor([[1, 0], [0, 1]]);

describe('weights drawn at construction', () => {
  it("the issue's scenario: setSeed(22); a = make(); setSeed(22); b = make(); a used only after b is made: identical weights and predictions", () => {
    setSeed(22);
    const a = make();
    setSeed(22);
    const b = make();
    const pa = a.predict(x); // a's first use, after b was made
    const pb = b.predict(x);
    expectBitIdentical(a.getWeights(), b.getWeights(), 'weights');
    expectBitIdentical(pa, pb, 'predictions');
  });

  it('whatever is used first, and whatever draws from the generator in between: the same weights, the same training', () => {
    setSeed(22);
    const reference = make().getWeights();
    for (const order of ['b first', 'a first'] as const) {
      setSeed(22);
      const a = make();
      setSeed(22);
      const b = make();
      setSeed(99); // something else draws before either model is used
      const [first, second] = order === 'a first' ? [a, b] : [b, a];
      first.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
      second.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
      expectBitIdentical(a.getWeights(), b.getWeights(), `${order}: trained weights`);
      const untrained = make(); // drawn after setSeed(99) and two fits: other weights
      expect(untrained.getWeights()[0].data).not.toEqual(reference[0].data);
    }
  });

  it('add() builds each layer as it is added: new Sequential() + add(...) draws what the constructor draws, and the weights exist at once', () => {
    setSeed(5);
    const built = make();
    setSeed(5);
    const added = new Sequential();
    added.add(new LSTM({ units: 4, inputShape: [3, 2], returnSequences: true }));
    expect(added.built).toBe(true);
    expect(added.countParams()).toBe(4 * (4 * (2 + 4) + 4));
    added.add(new LSTM({ units: 3 }));
    added.add(new Dense({ units: 2, activation: 'softmax' }));
    expect(added.outputShape).toEqual([null, 2]);
    expectBitIdentical(added.getWeights(), built.getWeights(), 'weights');
  });

  it('a layer that does not fit is refused by add, naming the fix, and the model stays as it was', () => {
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] })]);
    const before: Tensor[] = model.getWeights();
    expect(() => model.add(new LSTM({ units: 2 }))).toThrow(/cannot take layer .* of shape \[null, 4\] \(set returnSequences: true on/);
    expect(model.layers).toHaveLength(1);
    expectBitIdentical(model.getWeights(), before, 'weights');
    model.add(new Dense({ units: 1 })); // and it still takes a layer that fits
    expect(model.outputShape).toEqual([null, 1]);
  });

  it('a built model refuses add once compiled (its loss and metrics were chosen for the last layer), changing nothing', () => {
    const model = make();
    expect(() => model.add(new Dense({ units: 2 }))).toThrow(/Sequential.add: the model .* is built and compiled; add every layer before compile/);
    expect(model.layers).toHaveLength(3);
  });

  it('stateful models with batchInputShape are built at construction too (their state included)', () => {
    setSeed(8);
    const model = new Sequential([new LSTM({ units: 2, stateful: true, batchInputShape: [2, 1, 3] }), new Dense({ units: 1 })]);
    expect(model.built).toBe(true);
    expect(model.layers[0].getStates().map((s) => [...s.shape])).toEqual([[2, 2], [2, 2]]);
  });
});
