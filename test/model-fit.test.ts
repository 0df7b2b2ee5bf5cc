/**
 * fit with Keras semantics (design.md 'Public API'):
 *   - History keys as spelled in compile ('accuracy' / 'acc'), val_* with validation;
 *   - an epoch's loss is the batch-size-weighted mean of the batch losses, each computed before
 *     its batch's update (replayed with computeGradients / trainOnBatch and checked against the
 *     independent reference in test/model-helpers.ts);
 *   - validationSplit holds out the LAST fraction, before shuffling; val figures come after the
 *     epoch's updates;
 *   - initialEpoch, batchSize default 32, shuffle default true and reproducible under setSeed;
 *   - callbacks and their logs; EarlyStopping (patience, minDelta, restoreBestWeights) on a model
 *     whose every weight is known by hand;
 *   - verbose 1 / 2 progress lines (captured with onProgress).
 */
import { describe, expect, it } from 'vitest';
import { Adam, Dense, EarlyStopping, LSTM, Layer, SGD, Sequential, Tensor, setSeed, tensor, type Logs } from '../src/index.js';
import { expectBitIdentical, expectClose, randomOneHot, randomTensor, refLoss, refPredict, samplesOf } from './model-helpers.js';

/** LSTM(4) + Dense(3, softmax), float64, built and seeded: two calls give identical models. */
function classifier(seed: number, metrics: string[] = ['accuracy'], lr = 0.05): Sequential {
  setSeed(seed);
  const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 3, activation: 'softmax' })], { dtype: 'float64' });
  model.build();
  model.compile({ optimizer: new Adam({ learningRate: lr }), loss: 'categoricalCrossentropy', metrics });
  return model;
}

function rowsOf(t: Tensor, from: number, to: number): Tensor {
  return tensor((t.toArray() as number[][][]).slice(from, to) as never, undefined, t.dtype);
}

function argmax(row: number[]): number {
  return row.indexOf(Math.max(...row));
}

const X = randomTensor([10, 3, 2], 101);
const Y = randomOneHot([10], 3, 102);

describe('History', () => {
  it("keys are 'loss' and the metric as spelled in compile, plus val_* with validation", () => {
    const plain = classifier(1, []).fit(X, Y, { epochs: 2, verbose: 0 });
    expect(Object.keys(plain.history).sort()).toEqual(['loss']);
    expect(plain.epoch).toEqual([0, 1]);
    const acc = classifier(1, ['acc']).fit(X, Y, { epochs: 2, verbose: 0, validationSplit: 0.2 });
    expect(Object.keys(acc.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    const accuracy = classifier(1, ['accuracy']).fit(X, Y, { epochs: 3, verbose: 0, validationData: [X, Y] });
    expect(Object.keys(accuracy.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const values of Object.values(accuracy.history)) expect(values).toHaveLength(3);
  });
});

describe("named accuracies: 'accuracy' by the loss (Keras 2.0 / TF.js), or the one named", () => {
  // Binary cross-entropy over 5 sigmoid units (tutorial T1's head): 'accuracy' is binary accuracy
  // here (Keras 2.0-2.2, TF.js), categorical accuracy in Keras 3 (the output has more than 1 unit).
  const x = randomTensor([12, 2, 3], 201, 'float32');
  const y = randomOneHot([12], 5, 202, 'float32');
  function sigmoidModel(metric: string): Sequential {
    setSeed(7);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [2, 3] }), new Dense({ units: 5, activation: 'sigmoid' })]);
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'binaryCrossentropy', metrics: [metric] });
    return model;
  }
  function byHand(model: Sequential): { binary: number; categorical: number } {
    const p = model.predict(x).toArray() as number[][];
    const t = y.toArray() as number[][];
    const binary = p.flatMap((row, r) => row.map((v, j) => ((v > 0.5 ? 1 : 0) === t[r][j] ? 1 : 0))).reduce((a: number, b) => a + b, 0) / (12 * 5);
    const categorical = p.filter((row, r) => argmax(row) === argmax(t[r])).length / 12;
    return { binary, categorical };
  }

  it('evaluate and fit report the accuracy named, under its name; the fused training step counts it too (learning rate 0: figures of fixed weights)', () => {
    const reference = byHand(sigmoidModel('accuracy'));
    expect(reference.binary).not.toBeCloseTo(reference.categorical, 6); // the two differ on this data
    const cases: [string, number][] = [
      ['accuracy', reference.binary],
      ['acc', reference.binary],
      ['binaryAccuracy', reference.binary],
      ['binary_accuracy', reference.binary],
      ['categoricalAccuracy', reference.categorical],
      ['categorical_accuracy', reference.categorical],
    ];
    for (const [metric, expected] of cases) {
      const model = sigmoidModel(metric);
      expect(model.evaluate(x, y)[metric], `${metric}: evaluate`).toBeCloseTo(expected, 12);
      for (const batchSize of [1, 4]) {
        const { history } = model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, validationData: [x, y] });
        expect(Object.keys(history).sort(), metric).toEqual(['loss', metric, `val_${metric}`, 'val_loss'].sort());
        expect(history[metric][0], `${metric}: fit, batch ${batchSize}`).toBeCloseTo(expected, 12);
        expect(history[`val_${metric}`][0], `${metric}: validation`).toBeCloseTo(expected, 12);
      }
      expect(Sequential.fromJSON(JSON.stringify(model)).metricNames, `${metric}: saved and loaded`).toEqual([metric]);
    }
  });

  it("sparseCategoricalAccuracy with sparse targets equals categoricalAccuracy with the one-hot ones; EarlyStopping's 'auto' watches it upward", () => {
    setSeed(9);
    const sparse = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 3, activation: 'softmax' })], { dtype: 'float64' });
    sparse.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['sparse_categorical_accuracy'] });
    const labels = (Y.toArray() as number[][]).map((row) => [argmax(row)]);
    const dense = classifier(1, ['categoricalAccuracy']);
    sparse.setWeights(dense.getWeights());
    expect(sparse.evaluate(X, labels).sparse_categorical_accuracy).toBe(dense.evaluate(X, Y).categoricalAccuracy);
    expect(new EarlyStopping({ monitor: 'val_categoricalAccuracy' }).mode).toBe('max');
  });
});

describe('epoch figures: batch-size-weighted means of pre-update batch figures', () => {
  it('replayed batch by batch on an identical model: same losses, accuracies and final weights', () => {
    const model = classifier(2);
    const clone = classifier(2);
    expectBitIdentical(clone.getWeights(), model.getWeights(), 'initial weights');
    const batchLogs: Logs[] = [];
    const h = model.fit(X, Y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0, callbacks: { onBatchEnd: (_b, logs) => batchLogs.push({ ...logs }) } });
    expect(batchLogs.map((l) => l.size)).toEqual([3, 3, 3, 1, 3, 3, 3, 1]);

    const yRows = Y.toArray() as number[][];
    let k = 0;
    for (let epoch = 0; epoch < 2; epoch++) {
      let lossSum = 0;
      let correct = 0;
      let lossAfterSum = 0;
      for (let start = 0; start < 10; start += 3) {
        const end = Math.min(start + 3, 10);
        const xb = rowsOf(X, start, end);
        const yb = tensor(yRows.slice(start, end), undefined, 'float64');
        // Independent: the reference forward with the clone's current (pre-update) weights.
        const pred = refPredict(clone, xb) as number[][];
        const expected = refLoss('categoricalCrossentropy', pred, yRows.slice(start, end));
        const batchCorrect = pred.filter((p, i) => argmax(p) === argmax(yRows[start + i])).length;
        expect(clone.computeGradients(xb, yb).loss).toBeCloseTo(expected, 12);
        const returned = clone.trainOnBatch(xb, yb);
        expect(returned).toBeCloseTo(expected, 12);
        expect(batchLogs[k].loss).toBeCloseTo(expected, 12);
        expect(batchLogs[k].accuracy).toBe(batchCorrect / (end - start));
        expect(batchLogs[k].batch).toBe(k % 4);
        lossSum += expected * (end - start);
        correct += batchCorrect;
        lossAfterSum += refLoss('categoricalCrossentropy', refPredict(clone, xb) as number[][], yRows.slice(start, end)) * (end - start);
        k++;
      }
      expect(h.history.loss[epoch]).toBeCloseTo(lossSum / 10, 12);
      expect(h.history.accuracy[epoch]).toBe(correct / 10);
      // Post-update losses differ: the check above tells "before" from "after".
      expect(Math.abs(lossAfterSum / 10 - h.history.loss[epoch])).toBeGreaterThan(1e-4);
      // An unweighted mean of the four batch losses would differ too (the last batch has 1 sample).
      const unweighted = batchLogs.slice(epoch * 4, epoch * 4 + 4).reduce((a, l) => a + l.loss, 0) / 4;
      expect(Math.abs(unweighted - h.history.loss[epoch])).toBeGreaterThan(1e-6);
    }
    expectBitIdentical(clone.getWeights(), model.getWeights(), 'weights after fit vs replay');
  });
});

describe('validation', () => {
  it('validationSplit holds out the last fraction; val figures are evaluate() on those samples after the epoch', () => {
    const model = classifier(3);
    const epochWeights: Tensor[][] = [];
    const h = model.fit(X, Y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, validationSplit: 0.3, callbacks: { onEpochEnd: () => epochWeights.push(model.getWeights()) } });
    const xVal = rowsOf(X, 7, 10);
    const yVal = tensor((Y.toArray() as number[][]).slice(7), undefined, 'float64');
    const evaluated = model.evaluate(xVal, yVal);
    expect(h.history.val_loss[1]).toBeCloseTo(evaluated.loss, 12);
    expect(h.history.val_accuracy[1]).toBe(evaluated.accuracy);
    // Epoch 1's figures, from the weights at its end, by the reference.
    const probe = classifier(3);
    for (let e = 0; e < 2; e++) {
      probe.setWeights(epochWeights[e]);
      const pred = refPredict(probe, xVal) as number[][];
      expect(h.history.val_loss[e]).toBeCloseTo(refLoss('categoricalCrossentropy', pred, yVal.toArray() as number[][]), 12);
      expect(h.history.val_accuracy[e]).toBe(pred.filter((p, i) => argmax(p) === argmax((yVal.toArray() as number[][])[i])).length / 3);
    }
    // Only the first 7 samples trained.
    const clone = classifier(3);
    clone.fit(rowsOf(X, 0, 7), tensor((Y.toArray() as number[][]).slice(0, 7), undefined, 'float64'), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    expectBitIdentical(clone.getWeights(), model.getWeights(), 'weights: trained on the first 7 only');
  });

  it('the held-out samples are taken before shuffling (shuffle on, several epochs)', () => {
    const model = classifier(4);
    const h = model.fit(X, Y, { epochs: 3, batchSize: 2, verbose: 0, validationSplit: 0.3 });
    const xVal = rowsOf(X, 7, 10);
    const yVal = tensor((Y.toArray() as number[][]).slice(7), undefined, 'float64');
    expect(h.history.val_loss[2]).toBeCloseTo(model.evaluate(xVal, yVal).loss, 12);
    // With one batch holding all 7 training samples, shuffling changes only the summation order.
    const shuffled = classifier(5);
    shuffled.fit(X, Y, { epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.3 });
    const ordered = classifier(5);
    ordered.fit(rowsOf(X, 0, 7), tensor((Y.toArray() as number[][]).slice(0, 7), undefined, 'float64'), { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    expectClose(shuffled.getWeights().flatMap((w) => Array.from(w.data)), ordered.getWeights().flatMap((w) => Array.from(w.data)), 1e-10, 'weights');
  });

  it('evaluate over several batches is the mean over all samples (batch-size weighted)', () => {
    const model = classifier(16);
    const pred = refPredict(model, X) as number[][];
    const yRows = Y.toArray() as number[][];
    const expected = refLoss('categoricalCrossentropy', pred, yRows);
    const accuracy = pred.filter((p, i) => argmax(p) === argmax(yRows[i])).length / 10;
    for (const batchSize of [1, 3, 4, 10, 32]) {
      const result = model.evaluate(X, Y, { batchSize });
      expect(result.loss, `batchSize ${batchSize}`).toBeCloseTo(expected, 12);
      expect(result.accuracy).toBe(accuracy);
    }
  });

  it('validationData is evaluated after each epoch', () => {
    const model = classifier(6);
    const xv = randomTensor([4, 3, 2], 103);
    const yv = randomOneHot([4], 3, 104);
    const h = model.fit(X, Y, { epochs: 2, verbose: 0, validationData: [xv, yv] });
    expect(h.history.val_loss[1]).toBeCloseTo(model.evaluate(xv, yv).loss, 12);
    expect(h.history.val_loss[0]).not.toBeCloseTo(h.history.val_loss[1], 6);
  });
});

describe('epochs, batches and order', () => {
  it('initialEpoch: trains epochs initialEpoch..epochs-1 and numbers them so', () => {
    const model = classifier(7);
    const begun: number[] = [];
    const ended: number[] = [];
    const lines: string[] = [];
    const h = model.fit(X, Y, {
      epochs: 5,
      initialEpoch: 2,
      batchSize: 5,
      verbose: 2,
      onProgress: (l) => lines.push(l),
      callbacks: { onEpochBegin: (e) => begun.push(e), onEpochEnd: (e) => ended.push(e) },
    });
    expect(h.epoch).toEqual([2, 3, 4]);
    expect(h.history.loss).toHaveLength(3);
    expect(begun).toEqual([2, 3, 4]);
    expect(ended).toEqual([2, 3, 4]);
    expect(model.optimizer!.iterations).toBe(3 * 2);
    expect(lines.filter((l) => l.startsWith('Epoch'))).toEqual(['Epoch 3/5', 'Epoch 4/5', 'Epoch 5/5']);
  });

  it('batchSize defaults to 32 (70 samples: batches of 32, 32, 6)', () => {
    setSeed(8);
    const model = new Sequential([new LSTM({ units: 2 }), new Dense({ units: 1 })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const sizes: number[] = [];
    model.fit(randomTensor([70, 2, 1], 105, 'float32'), randomTensor([70, 1], 106, 'float32'), { verbose: 0, callbacks: { onBatchEnd: (_b, l) => sizes.push(l.size) } });
    expect(sizes).toEqual([32, 32, 6]);
    expect(model.optimizer!.iterations).toBe(3);
  });

  /** The order in which fit visits the samples, read from per-batch losses with learning rate 0. */
  function visitOrder(shuffle: boolean | undefined, seed: number, epochs: number): number[][] {
    setSeed(1);
    const model = new Sequential([new LSTM({ units: 3, inputShape: [2, 2] }), new Dense({ units: 2 })], { dtype: 'float64' });
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'mse' });
    const x = randomTensor([6, 2, 2], 107);
    const y = randomTensor([6, 2], 108);
    const perSample = samplesOf(x).map((_, i) => model.evaluate(rowsOf(x, i, i + 1), tensor([(y.toArray() as number[][])[i]], undefined, 'float64')).loss);
    expect(new Set(perSample).size).toBe(6);
    const losses: number[] = [];
    setSeed(seed);
    model.fit(x, y, { epochs, batchSize: 1, verbose: 0, ...(shuffle === undefined ? {} : { shuffle }), callbacks: { onBatchEnd: (_b, l) => losses.push(l.loss) } });
    const order = losses.map((l) => perSample.findIndex((p) => Math.abs(p - l) < 1e-12));
    return Array.from({ length: epochs }, (_, e) => order.slice(e * 6, e * 6 + 6));
  }

  it('shuffle defaults to true: each epoch visits a new permutation, the same under the same seed', () => {
    const a = visitOrder(undefined, 9, 3);
    for (const epoch of a) expect([...epoch].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.some((epoch) => epoch.join() !== '0,1,2,3,4,5')).toBe(true);
    expect(new Set(a.map((e) => e.join())).size).toBeGreaterThan(1);
    expect(visitOrder(undefined, 9, 3)).toEqual(a);
    expect(visitOrder(true, 9, 3)).toEqual(a);
    expect(visitOrder(undefined, 10, 3)).not.toEqual(a);
    expect(visitOrder(false, 9, 2)).toEqual([[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]]);
  });

  it('shuffled training is reproducible bit for bit under setSeed', () => {
    const run = (): Tensor[] => {
      const model = classifier(11);
      model.fit(X, Y, { epochs: 3, batchSize: 2, verbose: 0 });
      return model.getWeights();
    };
    const first = run();
    expectBitIdentical(run(), first, 'weights, same seed');
    const unshuffled = classifier(11);
    unshuffled.fit(X, Y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
    expect(unshuffled.getWeights()[0].data).not.toEqual(first[0].data);
  });
});

describe('callbacks', () => {
  it('hooks run in order with Keras logs; onEpochEnd sees exactly the History figures', () => {
    const model = classifier(12);
    const events: string[] = [];
    const epochLogs: Logs[] = [];
    const cb = {
      onTrainBegin: () => events.push('trainBegin'),
      onEpochBegin: (e: number) => events.push(`epochBegin ${e}`),
      onBatchBegin: (b: number, l: Logs) => events.push(`batchBegin ${b} ${l.size}`),
      onBatchEnd: (b: number, l: Logs) => events.push(`batchEnd ${b} ${Object.keys(l).sort().join(',')}`),
      onEpochEnd: (e: number, l: Logs) => {
        events.push(`epochEnd ${e}`);
        epochLogs.push({ ...l });
      },
      onTrainEnd: () => events.push('trainEnd'),
    };
    const h = model.fit(X, Y, { epochs: 2, batchSize: 6, shuffle: false, verbose: 0, validationData: [X, Y], callbacks: [cb] });
    const batch = (b: number, n: number): string[] => [`batchBegin ${b} ${n}`, `batchEnd ${b} accuracy,batch,loss,size`];
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0', ...batch(0, 6), ...batch(1, 4), 'epochEnd 0',
      'epochBegin 1', ...batch(0, 6), ...batch(1, 4), 'epochEnd 1',
      'trainEnd',
    ]);
    epochLogs.forEach((l, e) => {
      expect(Object.keys(l).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
      for (const key of Object.keys(l)) expect(l[key]).toBe(h.history[key][e]);
    });
  });

  it('a callback that sets model.stopTraining ends fit after the current epoch', () => {
    const model = classifier(13);
    const h = model.fit(X, Y, { epochs: 10, verbose: 0, callbacks: { onEpochEnd: (e) => { if (e === 2) model.stopTraining = true; } } });
    expect(h.epoch).toEqual([0, 1, 2]);
    // A later fit starts afresh.
    expect(model.fit(X, Y, { epochs: 2, verbose: 0 }).epoch).toEqual([0, 1]);
  });
});

describe('EarlyStopping', () => {
  // Dense(1) on x = [[1]] with kernel = bias = 0, MSE toward 1, SGD(0.05): kernel and bias both
  // follow w ← 0.8 w + 0.1, the prediction is 2w, and the validation target 0.5 gives
  // val_loss = (2w - 0.5)²: 0.09, 0.0196, 0.000144, 0.00817, 0.0297, ... (best after epoch 2).
  const W: number[] = [];
  for (let w = 0, e = 0; e < 12; e++) W.push((w = 0.8 * w + 0.1));
  const valLoss = W.map((w) => (2 * w - 0.5) ** 2);

  function run(options: ConstructorParameters<typeof EarlyStopping>[0]): { h: ReturnType<Sequential['fit']>; es: EarlyStopping; model: Sequential } {
    const model = new Sequential([new Dense({ units: 1, inputShape: [1] })], { dtype: 'float64' });
    model.build();
    model.setWeights([[[0]], [0]]);
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'mse' });
    const es = new EarlyStopping(options);
    const h = model.fit([[1]], [[1]], { epochs: 12, verbose: 0, validationData: [[[1]], [[0.5]]], callbacks: [es] });
    return { h, es, model };
  }

  it('the hand-computed trajectory is what fit produces', () => {
    const { h } = run({ patience: 100 });
    expectClose(h.history.val_loss, valLoss, 1e-14, 'val_loss');
  });

  it('patience 2: stops two epochs after the best one; without restoreBestWeights keeps the last weights', () => {
    const { h, es, model } = run({ monitor: 'val_loss', patience: 2 });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(es.stoppedEpoch).toBe(4);
    expect(es.bestEpoch).toBe(2);
    expectClose(model.getWeights().flatMap((w) => Array.from(w.data)), [W[4], W[4]], 1e-14, 'weights after epoch 4');
  });

  it('restoreBestWeights puts back the weights of the best epoch', () => {
    const { model } = run({ patience: 2, restoreBestWeights: true });
    expectClose(model.getWeights().flatMap((w) => Array.from(w.data)), [W[2], W[2]], 1e-14, 'weights after epoch 2');
  });

  it('minDelta: improvements smaller than minDelta do not count', () => {
    // 0.09 → 0.0196 improves by 0.07 (> 0.05); 0.0196 → 0.000144 by 0.019 (< 0.05): best stays epoch 1.
    const { h, es, model } = run({ patience: 2, minDelta: 0.05, restoreBestWeights: true });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(es.bestEpoch).toBe(1);
    expectClose(model.getWeights().flatMap((w) => Array.from(w.data)), [W[1], W[1]], 1e-14, 'weights after epoch 1');
  });

  it('patience 0 stops at the first epoch without improvement', () => {
    const { h } = run({ patience: 0 });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
  });

  it("mode 'auto' watches accuracy-like figures upward, and a missing figure is an error naming it", () => {
    expect(new EarlyStopping({ monitor: 'val_accuracy' }).mode).toBe('max');
    expect(new EarlyStopping({ monitor: 'loss' }).mode).toBe('min');
    const model = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(() => model.fit([[1]], [[1]], { epochs: 2, verbose: 0, callbacks: [new EarlyStopping({ monitor: 'val_loss' })] })).toThrow(/val_loss/);
  });
});

describe('progress output', () => {
  it('verbose 1: an epoch header and a finished bar per epoch with the figures', () => {
    const model = classifier(14);
    const lines: string[] = [];
    const h = model.fit(X, Y, { epochs: 3, batchSize: 4, verbose: 1, validationSplit: 0.2, onProgress: (l) => lines.push(l) });
    expect(lines).toHaveLength(6);
    for (let e = 0; e < 3; e++) {
      expect(lines[2 * e]).toBe(`Epoch ${e + 1}/3`);
      const bar = lines[2 * e + 1];
      expect(bar).toMatch(/^2\/2 \[==============================\] - /);
      expect(bar).toContain(` - loss: ${h.history.loss[e].toFixed(4)}`);
      expect(bar).toContain(` - accuracy: ${h.history.accuracy[e].toFixed(4)}`);
      expect(bar).toContain(` - val_loss: ${h.history.val_loss[e].toFixed(4)}`);
      expect(bar).toContain(` - val_accuracy: ${h.history.val_accuracy[e].toFixed(4)}`);
    }
  });

  it('verbose 1 is the default; verbose 2 prints one line per epoch without a bar; verbose 0 prints nothing', () => {
    const lines: string[] = [];
    classifier(15).fit(X, Y, { epochs: 1, batchSize: 5, onProgress: (l) => lines.push(l) });
    expect(lines[0]).toBe('Epoch 1/1');
    expect(lines[1]).toMatch(/^2\/2 \[=+\]/);

    const two: string[] = [];
    const h = classifier(15).fit(X, Y, { epochs: 2, verbose: 2, onProgress: (l) => two.push(l) });
    expect(two).toHaveLength(4);
    expect(two[0]).toBe('Epoch 1/2');
    expect(two[1]).not.toContain('[');
    expect(two[1]).toContain(`loss: ${h.history.loss[0].toFixed(4)}`);
    expect(two[3]).toContain(`accuracy: ${h.history.accuracy[1].toFixed(4)}`);

    const none: string[] = [];
    classifier(15).fit(X, Y, { epochs: 2, verbose: 0, onProgress: (l) => none.push(l) });
    expect(none).toEqual([]);
  });
});

describe('a user-defined Layer subclass in a model', () => {
  /** y = x ⊙ scale over the last axis (one weight per feature), written against the public Layer API only. */
  class Scale extends Layer {
    private scale: Tensor | undefined;
    private dScale: Tensor | undefined;
    private input: Tensor | undefined;
    constructor() {
      super({ dtype: 'float64' }, 'scale');
    }
    build(inputShape: (number | null)[]): void {
      const features = inputShape[inputShape.length - 1]!;
      this.scale = tensor(new Float64Array(features).fill(0.5), [features]);
      this.dScale = tensor(new Float64Array(features), [features]);
      this.builtInputShape = [...inputShape];
    }
    computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
      return inputShape;
    }
    forward(x: Tensor): Tensor {
      this.input = x;
      const s = this.scale!.data;
      return tensor(x.data.map((v, i) => v * s[i % s.length]), x.shape);
    }
    backward(dy: Tensor): Tensor {
      const s = this.scale!.data;
      const ds = this.dScale!.data;
      ds.fill(0);
      dy.data.forEach((g, i) => (ds[i % s.length] += g * this.input!.data[i]));
      return tensor(dy.data.map((g, i) => g * s[i % s.length]), dy.shape);
    }
    get trainableWeights(): Tensor[] {
      return [this.scale!];
    }
    get weightNames(): string[] {
      return ['scale'];
    }
    getGradients(): Tensor[] {
      return [this.dScale!];
    }
    getConfig(): { className: string; config: Record<string, unknown> } {
      return { className: 'Scale', config: { name: this.name } };
    }
  }

  it('trains through its public forward / backward (the model falls back to them), gradients checked by finite differences', () => {
    setSeed(5);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2], dtype: 'float64' }), new Scale(), new Dense({ units: 3, activation: 'softmax', dtype: 'float64' })]);
    model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy' });
    const x = randomTensor([6, 3, 2], 11);
    const y = randomOneHot([6], 3, 12);
    const { loss, grads } = model.computeGradients(x, y);
    // d loss / d scale[0] by a central difference, against the analytic gradient the layer filled in.
    const scale = model.layers[1].trainableWeights[0];
    const h = 1e-5;
    const saved = scale.data[0];
    scale.data[0] = saved + h;
    const plus = model.computeGradients(x, y).loss;
    scale.data[0] = saved - h;
    const minus = model.computeGradients(x, y).loss;
    scale.data[0] = saved;
    expect(grads[3].data[0]).toBeCloseTo((plus - minus) / (2 * h), 6);
    expect(Math.abs(grads[3].data[0])).toBeGreaterThan(1e-4); // a gradient that is really there
    const before = loss;
    for (let i = 0; i < 30; i++) model.trainOnBatch(x, y);
    expect(model.evaluate(x, y).loss).toBeLessThan(before);
  });
});
