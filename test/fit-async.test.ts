/**
 * fitAsync, evaluateAsync, predictAsync (src/model/run.ts drives the same loop as fit):
 *   - the same bits as the synchronous forms (weights, optimizer state, carried states, History);
 *   - the event loop gets turns: a timer fires during fitAsync (and not during fit);
 *   - a callback's promise is awaited before the loop goes on;
 *   - an AbortSignal or model.stopTraining stops after the batch in progress, the model as after it;
 *   - their own options are checked, naming the argument.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, Sequential, SGD, setSeed, type Callback, type History } from '../src/index.js';
import { bitSnapshot, randomOneHot, randomTensor } from './model-helpers.js';

interface Setup {
  stateful: boolean;
  shuffle: boolean;
  validation: boolean;
  adam: boolean;
  seed: number;
}

function makeModel({ stateful, adam, seed }: Setup): Sequential {
  setSeed(seed);
  const model = new Sequential([
    new LSTM(stateful ? { units: 5, batchInputShape: [2, 3, 4], stateful: true } : { units: 5, inputShape: [3, 4] }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: adam ? new Adam({ learningRate: 0.01 }) : new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const data = (seed: number) => ({ x: randomTensor([8, 3, 4], seed, 'float32'), y: randomOneHot([8], 3, seed + 1, 'float32') });

describe('fitAsync', () => {
  it('gives the bits of fit: weights, optimizer state, carried states and the History (random setups; yielding at every batch)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({ stateful: fc.boolean(), shuffle: fc.boolean(), validation: fc.boolean(), adam: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) }),
      async (setup) => {
        const { x, y } = data(setup.seed);
        const options = { epochs: 3, batchSize: 2, verbose: 0 as const, shuffle: setup.shuffle && !setup.stateful, validationSplit: setup.validation ? 0.25 : 0 };
        const sync = makeModel(setup);
        const syncHistory = sync.fit(x, y, options);
        const async = makeModel(setup);
        const asyncHistory = await async.fitAsync(x, y, { ...options, yieldEveryMs: 0 });
        expect(asyncHistory).toEqual(syncHistory);
        expect(bitSnapshot(async)).toEqual(bitSnapshot(sync));
      },
    ), { numRuns: 25, seed: 8 });
  });

  it('gives the event loop turns: a 10 ms timer fires during fitAsync, and not during fit', async () => {
    const x = randomTensor([1, 5, 10], 3, 'float32');
    const y = randomOneHot([1], 10, 4, 'float32');
    const train = async (asynchronous: boolean): Promise<number> => {
      setSeed(2);
      const model = new Sequential([new LSTM({ units: 25, inputShape: [5, 10] }), new Dense({ units: 10, activation: 'softmax' })]);
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const started = performance.now();
      // At least 150 ms of training, however fast the machine: epochs of one batch until then.
      const callbacks: Callback = { onEpochEnd: () => void (performance.now() - started > 150 && (model.stopTraining = true)) };
      if (asynchronous) await model.fitAsync(x, y, { epochs: 1_000_000, verbose: 0, callbacks });
      else model.fit(x, y, { epochs: 1_000_000, verbose: 0, callbacks });
      const during = ticks;
      clearInterval(timer);
      return during;
    };
    expect(await train(false)).toBe(0); // fit holds the thread: no timer runs until it returns
    expect(await train(true)).toBeGreaterThanOrEqual(3); // 150 ms at a 10 ms interval, yielding every 8 ms of work
  });

  it('awaits a callback that returns a promise before going on (Node timers in between)', async () => {
    const setup: Setup = { stateful: false, shuffle: false, validation: false, adam: true, seed: 5 };
    const model = makeModel(setup);
    const { x, y } = data(5);
    const events: string[] = [];
    const callbacks: Callback = {
      onEpochBegin: (epoch) => void events.push(`begin ${epoch}`),
      onEpochEnd: async (epoch) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${epoch} settled`);
      },
    };
    await model.fitAsync(x, y, { epochs: 3, batchSize: 4, verbose: 0, callbacks });
    expect(events).toEqual(['begin 0', 'end 0 settled', 'begin 1', 'end 1 settled', 'begin 2', 'end 2 settled']);
  });

  it('an abort stops it after the batch in progress: rejects with the signal reason carrying the History, the model as after that batch', async () => {
    for (const stateful of [false, true]) {
      const setup: Setup = { stateful, shuffle: false, validation: false, adam: true, seed: 11 };
      const { x, y } = data(11);
      // The reference: fit whose callback stops training after epoch 1's batch 2 (of 4).
      const reference = makeModel(setup);
      let referenceEpoch = -1;
      const stopAt: Callback = { onEpochBegin: (epoch) => void (referenceEpoch = epoch), onBatchEnd: (batch) => void (reference.stopTraining = referenceEpoch === 1 && batch === 1) };
      const referenceHistory = reference.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, shuffle: false, callbacks: stopAt });
      expect(referenceHistory.epoch).toEqual([0, 1]);

      const model = makeModel(setup);
      const controller = new AbortController();
      let epochNow = -1;
      const abortAt: Callback = { onEpochBegin: (epoch) => void (epochNow = epoch), onBatchEnd: (batch) => void (epochNow === 1 && batch === 1 && controller.abort()) };
      const error = await model.fitAsync(x, y, { epochs: 3, batchSize: 2, verbose: 0, shuffle: false, callbacks: abortAt, signal: controller.signal }).then(() => undefined, (e: unknown) => e as Error & { history?: History });
      expect(error?.name).toBe('AbortError');
      expect(error?.history).toEqual(referenceHistory);
      expect(bitSnapshot(model), `stateful ${stateful}`).toEqual(bitSnapshot(reference));
    }
  });

  it('model.stopTraining set by a callback resolves with the History so far; an already aborted signal changes nothing', async () => {
    const setup: Setup = { stateful: false, shuffle: false, validation: false, adam: false, seed: 12 };
    const { x, y } = data(12);
    const model = makeModel(setup);
    const history = await model.fitAsync(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: (epoch) => void (model.stopTraining = epoch === 1) } });
    expect(history.epoch).toEqual([0, 1]);
    const before = bitSnapshot(model);
    const controller = new AbortController();
    controller.abort(new Error('not now'));
    await expect(model.fitAsync(x, y, { epochs: 2, verbose: 0, signal: controller.signal })).rejects.toThrow('not now');
    expect(bitSnapshot(model)).toEqual(before);
  });

  it('checks its own options, naming them, before anything changes', async () => {
    const model = makeModel({ stateful: false, shuffle: false, validation: false, adam: true, seed: 13 });
    const { x, y } = data(13);
    const before = bitSnapshot(model);
    await expect(model.fitAsync(x, y, { signal: {} as AbortSignal })).rejects.toThrow(/^fitAsync: signal: expected an AbortSignal/);
    await expect(model.fitAsync(x, y, { yieldEveryMs: -1 })).rejects.toThrow(/^fitAsync: yieldEveryMs: expected a finite number of milliseconds >= 0, got -1/);
    await expect(model.fitAsync(x, y, { epoch: 3 } as never)).rejects.toThrow(/^fitAsync: unknown option 'epoch'/);
    await expect(model.fitAsync(x, y, { epochs: 0 })).rejects.toThrow(/^fitAsync: epochs: expected a positive integer, got 0/);
    await expect(model.evaluateAsync(x, y, { yieldEveryMs: NaN })).rejects.toThrow(/^evaluateAsync: yieldEveryMs/);
    await expect(model.predictAsync(x, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    expect(bitSnapshot(model)).toEqual(before);
  });
});

describe('evaluateAsync and predictAsync', () => {
  it('give the bits of evaluate and predict (a stateful model carries the same states)', async () => {
    for (const stateful of [false, true]) {
      const setup: Setup = { stateful, shuffle: false, validation: false, adam: true, seed: 21 };
      const { x, y } = data(21);
      const a = makeModel(setup);
      const b = makeModel(setup);
      expect(await b.evaluateAsync(x, y, { batchSize: 2, yieldEveryMs: 0 })).toEqual(a.evaluate(x, y, { batchSize: 2 }));
      expect(Array.from((await b.predictAsync(x, { batchSize: 2, yieldEveryMs: 0 })).data)).toEqual(Array.from(a.predict(x, { batchSize: 2 }).data));
      expect(bitSnapshot(b)).toEqual(bitSnapshot(a));
    }
  });

  it('an abort rejects and puts a stateful model\'s carried states back as they were', async () => {
    const setup: Setup = { stateful: true, shuffle: false, validation: false, adam: true, seed: 22 };
    const { x, y } = data(22);
    const model = makeModel(setup);
    model.predict(x); // some carried state
    const before = bitSnapshot(model);
    const controller = new AbortController();
    const evaluation = model.evaluateAsync(x, y, { yieldEveryMs: 0, signal: controller.signal });
    controller.abort();
    await expect(evaluation).rejects.toThrow(/aborted/);
    expect(bitSnapshot(model)).toEqual(before);
    const prediction = model.predictAsync(x, { yieldEveryMs: 0, signal: controller.signal });
    await expect(prediction).rejects.toThrow(/aborted/);
    expect(bitSnapshot(model)).toEqual(before);
  });
});
