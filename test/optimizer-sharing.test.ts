/**
 * One optimizer instance belongs to one model (issue 24, item 1). Its slots are made for one list
 * of weights: shared by two models of equal shapes their Adam moments mixed silently, with other
 * shapes the second model's training overran them (RangeError: offset is out of bounds). compile
 * now refuses an optimizer another model compiled with, changing nothing, and the first model
 * trains bit for bit as if the second had never existed.
 */
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, RMSprop, SGD, Sequential, setSeed, type Optimizer } from '../src/index.js';
import { bitSnapshot, randomOneHot, randomTensor } from './model-helpers.js';

function model(seed: number, units: number, name?: string): Sequential {
  setSeed(seed);
  return new Sequential([new LSTM({ units, inputShape: [3, 4] }), new Dense({ units: 5, activation: 'softmax' })], { dtype: 'float32', ...(name ? { name } : {}) });
}
const x = randomTensor([6, 3, 4], 21, 'float32');
const y = randomOneHot([6], 5, 22, 'float32');

/** Train a model compiled with `make()`'s optimizer for 3 epochs, with or without a second model trying to share it. */
function trainFirst(make: () => Optimizer, second: ((optimizer: Optimizer) => void) | undefined): Sequential {
  const first = model(1, 6, 'first');
  const optimizer = make();
  first.compile({ optimizer, loss: 'categoricalCrossentropy' });
  first.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, shuffle: false });
  second?.(optimizer);
  first.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, shuffle: false });
  return first;
}

describe('one optimizer, one model', () => {
  const makers: [string, () => Optimizer][] = [
    ['Adam', () => new Adam({ learningRate: 0.01 })],
    ['SGD with momentum', () => new SGD({ learningRate: 0.1, momentum: 0.9 })],
    ['RMSprop', () => new RMSprop({ learningRate: 0.01 })],
  ];
  for (const [label, make] of makers) {
    for (const [shapes, units] of [['equal shapes', 6], ['other shapes', 7]] as const) {
      it(`${label}, ${shapes}: the second compile is refused, the second model is left uncompiled, the first trains bit for bit as alone`, () => {
        const alone = trainFirst(make, undefined);
        let refusedModel: Sequential | undefined;
        const shared = trainFirst(make, (optimizer) => {
          const second = model(2, units, 'second');
          const before = bitSnapshot(second);
          expect(() => second.compile({ optimizer, loss: 'categoricalCrossentropy' })).toThrow(
            new RegExp(`^compile: optimizer is already used by model 'first'; give each model its own optimizer, e\\.g\\. new ${optimizer.className}\\(\\{ learningRate: `),
          );
          expect(second.optimizer).toBeUndefined();
          expect(bitSnapshot(second)).toEqual(before);
          // The second model still works once given its own optimizer (with other shapes, it overran the shared slots before).
          second.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
          second.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, shuffle: false });
          expect(second.predict(x).shape).toEqual([6, 5]);
          refusedModel = second;
        });
        expect(refusedModel).toBeDefined();
        expect(bitSnapshot(shared)).toEqual(bitSnapshot(alone));
        expect(shared.optimizer!.iterations).toBe(9);
      });
    }
  }

  it('a model recompiling with its own optimizer keeps it; a refused compile keeps the previous compile', () => {
    const a = model(3, 6, 'a');
    const adam = new Adam();
    a.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
    a.compile({ optimizer: adam, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    expect(a.optimizer).toBe(adam);
    const b = model(4, 6, 'b');
    const own = new SGD();
    b.compile({ optimizer: own, loss: 'meanSquaredError' });
    expect(() => b.compile({ optimizer: adam, loss: 'categoricalCrossentropy' })).toThrow(/already used by model 'a'/);
    expect(b.optimizer).toBe(own);
    expect(b.loss!.name).toBe('meanSquaredError');
  });

  it('a compile refused for another reason does not claim the optimizer', () => {
    const a = model(5, 6, 'a2');
    const adam = new Adam();
    expect(() => a.compile({ optimizer: adam, loss: 'noSuchLoss' })).toThrow(/noSuchLoss/);
    const b = model(6, 6, 'b2');
    b.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
    expect(b.optimizer).toBe(adam);
  });

  it('plain SGD (no slot tensors) restored by setState updates as the original does', () => {
    const w = () => [randomTensor([2, 3], 61, 'float32'), randomTensor([3], 62, 'float32')];
    const g = () => [randomTensor([2, 3], 63, 'float32'), randomTensor([3], 64, 'float32')];
    const original = new SGD({ learningRate: 0.5 });
    const a = w();
    original.applyGradients(a, g());
    const restored = new SGD({ learningRate: 0.5 });
    restored.setState(original.getState());
    expect(restored.getState()).toEqual({ iterations: 1, slots: [[], []] });
    const b = a.map((t) => t.clone());
    original.applyGradients(a, g());
    restored.applyGradients(b, g());
    expect(b.map((t) => Array.from(t.data))).toEqual(a.map((t) => Array.from(t.data)));
    expect(restored.iterations).toBe(2);
  });

  it('slots set for other parameters (setState) are refused at the first update, changing nothing', () => {
    const donor = model(7, 7, 'donor');
    donor.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy' });
    donor.trainOnBatch(x, y);
    const m = model(8, 6, 'taker');
    const adam = new Adam();
    adam.setState(donor.optimizer!.getState());
    m.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
    m.build();
    const before = bitSnapshot(m);
    expect(() => m.trainOnBatch(x, y)).toThrow(/the optimizer's slots for parameter 0 have shape \[4, 28\] \(from setState or an earlier update\), but the parameter has shape \[4, 24\]/);
    expect(bitSnapshot(m)).toEqual(before);
  });
});
