/**
 * Several metrics at once (src/model/metrics.ts): each its own History key, val_ key and
 * evaluate key under the name given; each the mean over every row of the epoch (worked out here
 * from the model's own predictions); on the progress bar and among EarlyStopping's figures;
 * saved and loaded (lstm-ts JSON, Keras files); training bit-identical with or without them
 * (metrics are reported, not trained on), the whole-model step included, which runs only with
 * none or one accuracy. Keras' own figures for them: test/keras-regression.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dense, Dropout, EarlyStopping, LSTM, SGD, Sequential, TimeDistributed, fromKerasBytes, meanSquaredError, setSeed, tensor, toKerasBytes, type Loss, type Tensor } from '../src/index.js';
import { FusedStep, setFusedModelStep } from '../src/model/fused-step.js';
import { mulberry32 } from './helpers/random.js';

afterEach(() => setFusedModelStep(true));
const stepRuns = vi.spyOn(FusedStep.prototype, 'run');

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4));

/** 10 samples of [T=3, I=2], 3-unit softmax targets (one-hot). */
function data(seed: number): { x: Tensor; y: Tensor } {
  const r = mulberry32(seed);
  const x = Float32Array.from({ length: 10 * 3 * 2 }, () => r() * 2 - 1);
  const y = new Float32Array(10 * 3);
  for (let s = 0; s < 10; s++) y[s * 3 + Math.floor(r() * 3)] = 1;
  return { x: tensor(x, [10, 3, 2]), y: tensor(y, [10, 3]) };
}

function classifier(metrics: string[], seed = 3): Sequential {
  setSeed(seed);
  const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 3, activation: 'softmax' })]);
  model.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'categoricalCrossentropy', metrics });
  return model;
}

/** The metrics of predictions p against targets t, rows of width C, worked out directly. */
function expected(p: ArrayLike<number>, t: ArrayLike<number>, C: number): Record<string, number> {
  const rows = p.length / C;
  let correct = 0;
  let mae = 0;
  let mse = 0;
  let mape = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let truth = 0;
    for (let j = 0; j < C; j++) {
      if (p[r * C + j] > p[r * C + best]) best = j;
      if (t[r * C + j] > t[r * C + truth]) truth = j;
      const d = p[r * C + j] - t[r * C + j];
      mae += Math.abs(d) / C;
      mse += (d * d) / C;
      mape += (100 * Math.abs(d)) / Math.max(Math.abs(t[r * C + j]), 1e-7) / C;
    }
    if (best === truth) correct++;
  }
  return { accuracy: correct / rows, mae: mae / rows, mse: mse / rows, mape: mape / rows };
}

describe('metrics: several at once', () => {
  it("evaluate returns each under the name given, each the mean over every row", () => {
    const { x, y } = data(1);
    const model = classifier(['accuracy', 'mae', 'mean_squared_error', 'MAPE']);
    const scores = model.evaluate(x, y, { batchSize: 4 }); // batches of 4, 4, 2: the means over all 10 rows
    expect(Object.keys(scores)).toEqual(['loss', 'accuracy', 'mae', 'mean_squared_error', 'MAPE']);
    const want = expected(model.predict(x, { batchSize: 4 }).data, y.data, 3); // the same batches: float32 products may round differently by batch size
    expect(scores.accuracy).toBe(want.accuracy);
    expect(scores.mae).toBeCloseTo(want.mae, 12);
    expect(scores.mean_squared_error).toBeCloseTo(want.mse, 12);
    expect(scores.MAPE).toBeCloseTo(want.mape, 8);
    expect(scores.loss).toBe(classifier([]).evaluate(x, y, { batchSize: 4 }).loss); // the loss is the loss, whatever the metrics
  });

  it("fit: each metric its own History key and val_ key; an epoch's figure is the mean over the epoch's rows, each before its batch's update", () => {
    const { x, y } = data(2);
    const model = classifier(['accuracy', 'mae', 'mse']);
    const batches: Record<string, number>[] = [];
    const predictions: number[] = [];
    const h = model.fit(x, y, {
      epochs: 2, batchSize: 4, shuffle: false, verbose: 0, validationData: [x, y],
      callbacks: {
        onBatchBegin: (b) => { if (batches.length < 3) predictions.push(...model.predict(tensor(x.data.slice(b * 24, Math.min(b * 24 + 24, 60)), [Math.min(4, 10 - 4 * b), 3, 2])).data); },
        onBatchEnd: (_b, logs) => batches.push({ ...logs }),
      },
    });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'mae', 'mse', 'val_accuracy', 'val_loss', 'val_mae', 'val_mse']);
    // Epoch 0's figures from the predictions each batch started from (the model before its update).
    const want = expected(predictions, y.data, 3);
    expect(h.history.accuracy[0]).toBe(want.accuracy);
    expect(h.history.mae[0]).toBeCloseTo(want.mae, 6); // float32 predictions
    expect(h.history.mse[0]).toBeCloseTo(want.mse, 6);
    // Batch logs hold each metric of that batch; the epoch's is their mean weighted by rows.
    const first = batches.slice(0, 3);
    expect(first.map((b) => Object.keys(b).sort())).toEqual(Array(3).fill(['accuracy', 'batch', 'loss', 'mae', 'mse', 'size']));
    expect(first.reduce((s, b) => s + b.mae * b.size, 0) / 10).toBeCloseTo(h.history.mae[0], 12);
    // val_ figures are evaluate's after the epoch's updates.
    const after = model.evaluate(x, y, { batchSize: 4 });
    expect(h.history.val_mae[1]).toBe(after.mae);
    expect(h.history.val_mse[1]).toBe(after.mse);
    expect(h.history.val_accuracy[1]).toBe(after.accuracy);
  });

  it('the progress bar lists every metric and its val_ form', () => {
    const { x, y } = data(3);
    const lines: string[] = [];
    const h = classifier(['accuracy', 'mae', 'mse']).fit(x, y, { epochs: 1, batchSize: 5, verbose: 1, validationSplit: 0.2, onProgress: (l) => lines.push(l) });
    for (const key of ['loss', 'accuracy', 'mae', 'mse', 'val_loss', 'val_accuracy', 'val_mae', 'val_mse']) {
      expect(lines[1]).toContain(` - ${key}: ${h.history[key][0].toFixed(4)}`);
    }
    expect(lines[1].indexOf(' - mae:')).toBeLessThan(lines[1].indexOf(' - mse:'));
  });

  it('EarlyStopping can monitor any metric (mae watched downward), and names the figures when one is missing', () => {
    const { x, y } = data(4);
    expect(new EarlyStopping({ monitor: 'val_mae' }).mode).toBe('min');
    expect(new EarlyStopping({ monitor: 'mape' }).mode).toBe('min');
    const model = classifier(['accuracy', 'mae']);
    // mae may not fall: with baseline 0 it can never improve, so training stops after patience epochs.
    const stopper = new EarlyStopping({ monitor: 'val_mae', patience: 2, baseline: 0 });
    const h = model.fit(x, y, { epochs: 10, batchSize: 5, verbose: 0, validationSplit: 0.2, callbacks: [stopper] });
    expect(h.epoch).toEqual([0, 1]);
    expect(stopper.stoppedEpoch).toBe(1);
    expect(() => classifier(['accuracy', 'mae']).fit(x, y, { verbose: 0, validationSplit: 0.2, callbacks: [new EarlyStopping({ monitor: 'val_mse' })] }))
      .toThrow("EarlyStopping monitors 'val_mse', which is not among the epoch's figures (loss, accuracy, mae, val_loss, val_accuracy, val_mae)");
  });

  it('refuses a metric named twice, a regression metric on class indices, and (with a user loss) targets not shaped like the predictions', () => {
    const model = classifier([]);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'mse', 'mae'] })).toThrow('compile: metrics names "mae" twice, got ["mae","mse","mae"]');
    expect(() => model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', 'mse'] }))
      .toThrow("compile: metric 'mse' compares targets shaped like the predictions, but loss sparseCategoricalCrossentropy takes class indices");
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['accuracy', 'r2'] })).toThrow(/compile: unknown metric "r2"; expected one of .*'mae'.*'mape'/);
    expect(model.metricNames).toEqual([]);
    // A user's loss taking one target per sample: 'accuracy' is its business, 'mae' cannot read it.
    const perSample: Loss = { ...meanSquaredError, name: 'perSample' as never, validateTargets: () => {}, compute: (p) => ({ loss: 0, grad: p.clone() }) };
    model.compile({ optimizer: 'sgd', loss: perSample, metrics: ['mae'] });
    const { x } = data(5);
    expect(() => model.evaluate(x, tensor(new Float32Array(10), [10, 1]))).toThrow("y: metric 'mae' compares targets with the predictions element by element: expected targets of shape [10, 3] (the predictions' shape), got [10, 1]");
  });

  it("Keras' spellings: camelCase, snake_case, class names and the short aliases all name a metric, reported under the name given", () => {
    const { x, y } = data(6);
    const model = classifier(['meanAbsoluteError', 'mean_absolute_error', 'MeanAbsoluteError', 'MAE', 'mae', 'CategoricalAccuracy', 'categorical_accuracy']);
    const scores = model.evaluate(x, y);
    const values = model.metricNames.map((n) => scores[n]);
    expect(new Set(values.slice(0, 5)).size).toBe(1);
    expect(values[5]).toBe(values[6]);
    expect(values[5]).toBe(classifier(['accuracy']).evaluate(x, y).accuracy);
  });
});

describe('metrics are reported, not trained on', () => {
  it('the same weights, bit for bit, with no metric, one accuracy (the whole-model step) or several (the layers), and the same loss history', () => {
    const { x, y } = data(7);
    const run = (metrics: string[]) => {
      stepRuns.mockClear();
      const model = classifier(metrics, 11);
      const h = model.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
      return { weights: model.getWeights().map(bits), loss: h.history.loss, accuracy: h.history.accuracy, fused: stepRuns.mock.calls.length };
    };
    const none = run([]);
    const one = run(['accuracy']);
    const several = run(['accuracy', 'mae', 'mse', 'mape']);
    expect(none.fused).toBeGreaterThan(0); // the whole-model step applies without metrics ...
    expect(one.fused).toBeGreaterThan(0); // ... and with one accuracy, which it counts
    expect(several.fused).toBe(0); // not with a metric it cannot compute
    expect(one.weights).toEqual(none.weights);
    expect(several.weights).toEqual(none.weights);
    expect(several.loss).toEqual(none.loss);
    expect(several.accuracy).toEqual(one.accuracy); // the kernel's accuracy count is the layers'
  });

  it('FusedStep.create: with one accuracy it applies, with a regression metric or two metrics it does not', () => {
    const model = classifier(['accuracy']);
    const fused = model.loss!.fromLogits!('softmax');
    const accuracy = { name: 'accuracy', kind: 'categorical', accuracy: 'categorical' } as const;
    const mae = { name: 'mae', kind: 'meanAbsoluteError', accuracy: undefined } as const;
    expect(FusedStep.create(model.layers, fused, [accuracy], 2, 3, undefined)).toBeInstanceOf(FusedStep);
    expect(FusedStep.create(model.layers, fused, [], 2, 3, undefined)).toBeInstanceOf(FusedStep);
    expect(FusedStep.create(model.layers, fused, [mae], 2, 3, undefined)).toBeUndefined();
    expect(FusedStep.create(model.layers, fused, [accuracy, mae], 2, 3, undefined)).toBeUndefined();
    const previous = FusedStep.create(model.layers, fused, [accuracy], 2, 3, undefined);
    expect(FusedStep.create(model.layers, fused, [accuracy, mae], 2, 3, previous)).toBeUndefined(); // not reused either
  });
});

describe('saved and loaded with several metrics', () => {
  it('lstm-ts JSON: the metrics round-trip, and the loaded model reports the same figures', () => {
    const { x, y } = data(8);
    const model = classifier(['accuracy', 'mae', 'mse']);
    const back = Sequential.fromJSON(JSON.stringify(model));
    expect(back.metricNames).toEqual(['accuracy', 'mae', 'mse']);
    expect(back.evaluate(x, y)).toEqual(model.evaluate(x, y));
  });

  it("Keras files: Keras' spellings written (camelCase as snake_case, Keras' own names as given), read back compiled", () => {
    const model = classifier(['accuracy', 'mae', 'meanSquaredError', 'MeanAbsolutePercentageError']);
    const bytes = toKerasBytes(model);
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text).toContain('"metrics": ["accuracy", "mae", "mean_squared_error", "MeanAbsolutePercentageError"]');
    expect(fromKerasBytes(bytes, { compile: true }).metricNames).toEqual(['accuracy', 'mae', 'mean_squared_error', 'MeanAbsolutePercentageError']);
  });

  it('a regression loss is written under its Keras name and read back', () => {
    setSeed(9);
    const model = new Sequential([new LSTM({ units: 2, inputShape: [3, 2] }), new Dense({ units: 1 })]);
    for (const loss of ['mae', 'huber', 'mape', 'logcosh']) {
      model.compile({ optimizer: 'adam', loss, metrics: ['mse'] });
      const back = fromKerasBytes(toKerasBytes(model), { compile: true });
      expect(back.loss).toBe(model.loss);
      expect(Sequential.fromJSON(JSON.stringify(model)).loss).toBe(model.loss);
    }
  });
});

describe("'accuracy' behind a layer that is not Dense", () => {
  it('is chosen by what the model outputs: binary for one unit behind Dropout or TimeDistributed(Dense), as with a Dense last', () => {
    // Every output is above 0.5 (bias 5) and every target 0: binary accuracy 0, where categorical
    // accuracy over one unit (argmax 0 = argmax 0) would say 1.
    const x = tensor([[[0.2], [0.9]], [[0.7], [0.1]]]);
    const y = tensor([[[0], [0]], [[0], [0]]]);
    const head = () => new Dense({ units: 1, activation: 'sigmoid', biasInitializer: 'ones', kernelInitializer: 'zeros' });
    const accuracies = [
      new Sequential([new LSTM({ units: 3, inputShape: [2, 1], returnSequences: true }), head()]),
      new Sequential([new LSTM({ units: 3, inputShape: [2, 1], returnSequences: true }), head(), new Dropout({ rate: 0.1 })]),
      new Sequential([new LSTM({ units: 3, inputShape: [2, 1], returnSequences: true }), new TimeDistributed(head())]),
    ].map((m) => {
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['accuracy'] }); // the width decides (Keras 2.0 / TF.js)
      return m.evaluate(x, y).accuracy;
    });
    expect(accuracies).toEqual([0, 0, 0]);
  });
});
