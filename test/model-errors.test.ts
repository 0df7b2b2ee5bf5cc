/**
 * design.md 'Bad input': every public entry point refuses bad arguments with an error naming the
 * argument, what it got and what it expected, and a failed call leaves the model exactly as it
 * was: weights, optimizer state (optimizer.getState()) and carried layer states are compared
 * before / after every refused call. The fixture is a stateful model that has trained one epoch
 * (so the optimizer has slots) and carries a non-zero state.
 *
 * Also: a loss that becomes NaN / Infinity during fit stops training with an error naming the
 * epoch and batch, leaving the weights of the previous batch (all finite).
 */
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, SGD, Sequential, setSeed, tensor, type Tensor } from '../src/index.js';
import { expectUnchanged, randomOneHot, randomTensor, snapshot } from './model-helpers.js';

type LossName = 'categoricalCrossentropy' | 'binaryCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';

interface Fixture {
  model: Sequential;
  x: Tensor; // [4, 3, 4]: two batches of the fixed size 2
  y: Tensor;
}

/** Stateful LSTM(4) [2, 3, 4] + Dense(3), trained one epoch, with a carried state. */
function fixture(loss: LossName = 'categoricalCrossentropy'): Fixture {
  setSeed(31);
  const activation = loss === 'meanSquaredError' ? 'linear' : loss === 'binaryCrossentropy' ? 'sigmoid' : 'softmax';
  const model = new Sequential([new LSTM({ units: 4, batchInputShape: [2, 3, 4], stateful: true }), new Dense({ units: 3, activation })]);
  model.compile({ optimizer: new Adam(), loss, metrics: ['accuracy'] });
  const x = randomTensor([4, 3, 4], 301, 'float32');
  const y =
    loss === 'sparseCategoricalCrossentropy' ? tensor([0, 2, 1, 1]) :
    loss === 'binaryCrossentropy' ? randomTensor([4, 3], 302, 'float32', 0, 1) :
    loss === 'meanSquaredError' ? randomTensor([4, 3], 302, 'float32') :
    randomOneHot([4], 3, 302, 'float32');
  model.fit(x, y, { epochs: 1, verbose: 0 });
  const s = snapshot(model);
  expect(s.optimizer!.slots.length).toBeGreaterThan(0);
  expect(s.states[0][0].some((v) => v !== 0)).toBe(true);
  return { model, x, y };
}

/** The call throws an error whose message matches, and the model is exactly as before. */
function expectRefused(model: Sequential, call: () => unknown, message: RegExp): void {
  const before = snapshot(model);
  expect(call).toThrow(message);
  expectUnchanged(model, before);
}

/** x or y with one value replaced. */
function withValue(t: Tensor, flatIndex: number, value: number): Tensor {
  const c = t.clone();
  c.data[flatIndex] = value;
  return c;
}

describe('wrong shapes of x', () => {
  it('wrong rank: fit, predict, evaluate, trainOnBatch, computeGradients', () => {
    const { model, y } = fixture();
    const x2 = randomTensor([4, 12], 303, 'float32');
    const msg = /x: expected rank 3 \(shape \[samples, 3, 4\]\), got shape \[4, 12\]/;
    expectRefused(model, () => model.fit(x2, y, { verbose: 0 }), msg);
    expectRefused(model, () => model.predict(x2), msg);
    expectRefused(model, () => model.evaluate(x2, y), msg);
    expectRefused(model, () => model.trainOnBatch(x2, y), msg);
    expectRefused(model, () => model.computeGradients(x2, y), msg);
  });

  it('wrong feature count names the count and the expected shape', () => {
    const { model, y } = fixture();
    const x5 = randomTensor([4, 3, 5], 304, 'float32');
    const msg = /x: has 5 features \(shape \[4, 3, 5\]\), expected shape \[samples, 3, 4\]/;
    expectRefused(model, () => model.fit(x5, y, { verbose: 0 }), msg);
    expectRefused(model, () => model.predict(x5), msg);
    expectRefused(model, () => model.evaluate(x5, y), msg);
  });

  it('a stateless model built from data refuses another feature count too', () => {
    setSeed(32);
    const model = new Sequential([new LSTM({ units: 3 }), new Dense({ units: 2 })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    model.fit(randomTensor([4, 2, 3], 305, 'float32'), randomTensor([4, 2], 306, 'float32'), { verbose: 0 });
    expectRefused(model, () => model.predict(randomTensor([4, 2, 4], 307, 'float32')), /x: has 4 features.*expected shape \[samples, 2, 3\]/);
  });
});

describe('stateful batch size', () => {
  it('a sample count that is not a multiple of the fixed batch size: fit, predict, evaluate (and the message explains why)', () => {
    const { model, x, y } = fixture();
    const x3 = tensor((x.toArray() as number[][][]).slice(0, 3));
    const y3 = tensor((y.toArray() as number[][]).slice(0, 3));
    const msg = /x has 3 samples, which is not a multiple of the batch size 2 fixed by batchInputShape \[2, 3, 4\].*every batch must be full/;
    expectRefused(model, () => model.fit(x3, y3, { verbose: 0 }), new RegExp(`fit: ${msg.source}`));
    expectRefused(model, () => model.predict(x3), new RegExp(`predict: ${msg.source}`));
    expectRefused(model, () => model.evaluate(x3, y3), new RegExp(`evaluate: ${msg.source}`));
    expectRefused(model, () => model.trainOnBatch(x3, y3), /trainOnBatch: x has 3 samples/);
    expectRefused(model, () => model.computeGradients(x3, y3), /computeGradients: x has 3 samples/);
    expectRefused(model, () => model.predict(tensor((x.toArray() as number[][][]).slice(0, 1))), /predict: x has 1 sample, which is not a multiple of the batch size 2/);
  });

  it('trainOnBatch / computeGradients with two batches at once are refused (one batch of exactly 2)', () => {
    const { model, x, y } = fixture();
    expectRefused(model, () => model.trainOnBatch(x, y), /batch size 4.*expected 2/);
    expectRefused(model, () => model.computeGradients(x, y), /batch size 4.*expected 2/);
  });

  it('a batchSize other than the fixed one: fit, predict, evaluate', () => {
    const { model, x, y } = fixture();
    const msg = /batchSize (number )?1 does not match the batch size 2 fixed by batchInputShape \[2, 3, 4\]/;
    expectRefused(model, () => model.fit(x, y, { batchSize: 1, verbose: 0 }), msg);
    expectRefused(model, () => model.predict(x, { batchSize: 1 }), msg);
    expectRefused(model, () => model.evaluate(x, y, { batchSize: 4 }), /batchSize (number )?4 does not match the batch size 2/);
  });

  it('validation data that does not divide into full batches is refused before any training', () => {
    const { model, x, y } = fixture();
    const x3 = tensor((x.toArray() as number[][][]).slice(0, 3));
    const y3 = tensor((y.toArray() as number[][]).slice(0, 3));
    expectRefused(model, () => model.fit(x, y, { verbose: 0, validationData: [x3, y3] }), /validation data has 3 samples, which is not a multiple of the batch size 2/);
  });

  it('shuffle: true on a stateful model', () => {
    const { model, x, y } = fixture();
    expectRefused(model, () => model.fit(x, y, { shuffle: true, verbose: 0 }), /shuffle: true is refused for a stateful model/);
  });
});

describe('non-finite values', () => {
  it('NaN or Infinity in x: fit, predict, evaluate, trainOnBatch (position named)', () => {
    const { model, x, y } = fixture();
    const bad = withValue(x, 1 * 12 + 2 * 4 + 3, Number.NaN); // [1, 2, 3]
    const inf = withValue(x, 0, Number.POSITIVE_INFINITY);
    expectRefused(model, () => model.fit(bad, y, { verbose: 0 }), /x: expected finite numbers, got NaN at index \[1, 2, 3\]/);
    expectRefused(model, () => model.predict(inf), /x: expected finite numbers, got Infinity at index \[0, 0, 0\]/);
    expectRefused(model, () => model.evaluate(bad, y), /x: expected finite numbers, got NaN/);
    expectRefused(model, () => model.trainOnBatch(withValue(tensor((x.toArray() as number[][][]).slice(0, 2)), 5, -Infinity), tensor((y.toArray() as number[][]).slice(0, 2))), /x: expected finite numbers, got -Infinity/);
  });

  it('NaN or Infinity in y, in the last sample: nothing trains', () => {
    const { model, x, y } = fixture('meanSquaredError');
    expectRefused(model, () => model.fit(x, withValue(y, 11, Number.NaN), { verbose: 0 }), /y: expected finite numbers, got NaN at index \[3, 2\]/);
    expectRefused(model, () => model.evaluate(x, withValue(y, 4, Number.POSITIVE_INFINITY)), /y: expected finite numbers, got Infinity at index \[1, 1\]/);
    expectRefused(model, () => model.fit(x, y, { verbose: 0, validationData: [x, withValue(y, 0, Number.NaN)] }), /validationData\[1\]: expected finite numbers/);
  });
});

describe('targets', () => {
  it('sparse: class indices out of range or not integers', () => {
    const { model, x } = fixture('sparseCategoricalCrossentropy');
    expectRefused(model, () => model.fit(x, tensor([0, 1, 3, 2]), { verbose: 0 }), /y: sparseCategoricalCrossentropy targets must be integer class indices in \[0, 2\].*got 3 at index \[2\]/);
    expectRefused(model, () => model.evaluate(x, tensor([0, -1, 1, 2])), /got -1 at index \[1\]/);
    expectRefused(model, () => model.fit(x, tensor([0, 1.5, 1, 2]), { verbose: 0 }), /integer class indices.*got 1\.5/);
  });

  it('categorical: rows that do not sum to 1, or entries outside [0, 1]', () => {
    const { model, x, y } = fixture('categoricalCrossentropy');
    const rows = y.toArray() as number[][];
    const notSummed = tensor([rows[0], [0.5, 0.25, 0.125], rows[2], rows[3]]);
    expectRefused(model, () => model.fit(x, notSummed, { verbose: 0 }), /y: categoricalCrossentropy target rows must be probability distributions summing to 1.*row \[1\] sums to 0\.875/);
    const negative = tensor([rows[0], rows[1], [1.5, -0.5, 0], rows[3]]);
    expectRefused(model, () => model.evaluate(x, negative), /y: categoricalCrossentropy targets must be probabilities in \[0, 1\], got 1\.5 at index \[2, 0\]/);
    // Class indices given to the categorical loss: the message points at the sparse loss.
    expectRefused(model, () => model.fit(x, tensor([0, 1, 2, 1]), { verbose: 0 }), /sparseCategoricalCrossentropy/);
  });

  it('binary: values outside [0, 1]', () => {
    const { model, x, y } = fixture('binaryCrossentropy');
    expectRefused(model, () => model.fit(x, withValue(y, 7, 1.5), { verbose: 0 }), /y: binaryCrossentropy targets must be probabilities in \[0, 1\], got 1\.5 at index \[2, 1\]/);
    expectRefused(model, () => model.trainOnBatch(tensor((x.toArray() as number[][][]).slice(0, 2)), withValue(tensor((y.toArray() as number[][]).slice(0, 2)), 0, -0.25)), /got -0\.25 at index \[0, 0\]/);
  });

  it('targets of the wrong shape name both shapes', () => {
    const { model, x } = fixture('meanSquaredError');
    expectRefused(model, () => model.fit(x, randomTensor([4, 2], 308, 'float32'), { verbose: 0 }), /y: expected targets of shape \[4, 3\].*got \[4, 2\]/);
  });

  it('x and y with different sample counts', () => {
    const { model, x, y } = fixture();
    const y2 = tensor((y.toArray() as number[][]).slice(0, 2));
    const msg = /y: has 2 samples \(shape \[2, 3\]\), but x has 4 \(shape \[4, 3, 4\]\)/;
    expectRefused(model, () => model.fit(x, y2, { verbose: 0 }), msg);
    expectRefused(model, () => model.evaluate(x, y2), msg);
    expectRefused(model, () => model.trainOnBatch(x, y2), msg);
  });
});

describe('unknown names', () => {
  it('compile: unknown loss, optimizer or metric; the previous compile stays in force', () => {
    const { model, x, y } = fixture();
    const optimizer = model.optimizer;
    const loss = model.loss;
    expectRefused(model, () => model.compile({ optimizer: 'adam', loss: 'categorical_crossentropyy' }), /unknown loss "categorical_crossentropyy".*'categoricalCrossentropy'/);
    expectRefused(model, () => model.compile({ optimizer: 'adamw', loss: 'categoricalCrossentropy' }), /unknown optimizer "adamw".*'adam'/);
    expectRefused(model, () => model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['precision'] }), /unknown metric "precision".*'accuracy'.*'categoricalAccuracy'/);
    expectRefused(model, () => model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mae', 'accuracy'] }), /compile: metrics names "accuracy" twice, got \["accuracy","mae","accuracy"\]; each metric is one History key/);
    expectRefused(model, () => model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['categoricalAccuracy'] }), /'categoricalAccuracy'.*sparseCategoricalCrossentropy takes class indices; use 'sparseCategoricalAccuracy'/);
    expectRefused(model, () => model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['sparse_categorical_accuracy'] }), /'sparse_categorical_accuracy' reads class indices.*categoricalCrossentropy/);
    expect(model.optimizer).toBe(optimizer);
    expect(model.loss).toBe(loss);
    expect(model.metricNames).toEqual(['accuracy']);
    expect(Object.keys(model.evaluate(x, y)).sort()).toEqual(['accuracy', 'loss']);
  });

  it('layers: unknown activation names (Dense and LSTM), and activations a layer does not offer', () => {
    expect(() => new Dense({ units: 2, activation: 'swish' as never })).toThrow(/activation: unknown activation "swish".*'softmax'/);
    expect(() => new LSTM({ units: 2, activation: 'softmax' as never })).toThrow(/activation: unknown activation "softmax".*'tanh'/);
    expect(() => new LSTM({ units: 2, recurrentActivation: 'tanh' as never })).toThrow(/recurrentActivation: unknown activation "tanh".*'sigmoid'/);
    expect(() => new LSTM({ units: 2, kernelInitializer: 'heNormal' as never })).toThrow(/kernelInitializer/);
    expect(() => new LSTM({ units: 2, returnSequence: true } as never)).toThrow(/unknown option 'returnSequence'/);
  });
});

describe('setWeights', () => {
  it('wrong count, wrong shape (even of the last weight only), non-finite values: nothing is written', () => {
    const { model } = fixture();
    const good = model.getWeights().map((w) => tensor(w.data.map((v) => v + 1), w.shape));
    expectRefused(model, () => model.setWeights(good.slice(0, 4)), /setWeights: expected 5 weights \(lstm_\d+\/kernel, lstm_\d+\/recurrent_kernel, lstm_\d+\/bias, dense_\d+\/kernel, dense_\d+\/bias\), got 4/);
    const lastWrong = [...good.slice(0, 4), tensor([0, 0, 0, 0])];
    expectRefused(model, () => model.setWeights(lastWrong), /setWeights: weight 4 \(dense_\d+\/bias\) has shape \[4\], expected \[3\]/);
    const transposed = [tensor(new Float32Array(16 * 4), [16, 4]), ...good.slice(1)];
    expectRefused(model, () => model.setWeights(transposed), /weight 0 \(lstm_\d+\/kernel\) has shape \[16, 4\], expected \[4, 16\]/);
    const nan = [...good.slice(0, 4), tensor([0, Number.NaN, 0])];
    expectRefused(model, () => model.setWeights(nan), /weight 4 \(dense_\d+\/bias\).*NaN/);
    // The good ones are accepted.
    model.setWeights(good);
    expect(Array.from(model.getWeights()[4].data)).toEqual(Array.from(good[4].data));
  });
});

describe('calls out of order and unknown options', () => {
  it('fit / evaluate / trainOnBatch / computeGradients before compile (predict is fine)', () => {
    setSeed(33);
    const model = new Sequential([new LSTM({ units: 3, batchInputShape: [2, 3, 4], stateful: true }), new Dense({ units: 3, activation: 'softmax' })]);
    const x = randomTensor([2, 3, 4], 309, 'float32');
    const y = randomOneHot([2], 3, 310, 'float32');
    model.predict(x); // builds, and leaves a carried state
    const msg = /(the model )?must be compiled first: model\.compile\(\{ optimizer, loss, metrics \}\)/;
    expectRefused(model, () => model.fit(x, y, { verbose: 0 }), new RegExp(`fit: ${msg.source}`));
    expectRefused(model, () => model.evaluate(x, y), new RegExp(`evaluate: ${msg.source}`));
    expectRefused(model, () => model.trainOnBatch(x, y), msg);
    expectRefused(model, () => model.computeGradients(x, y), msg);
  });

  it('unknown option keys of fit, evaluate, predict are refused with the list of known ones', () => {
    const { model, x, y } = fixture();
    expectRefused(model, () => model.fit(x, y, { epoch: 3, verbose: 0 } as never), /fit: unknown option 'epoch'; expected one of .*'epochs'/);
    expectRefused(model, () => model.fit(x, y, { batch_size: 2, verbose: 0 } as never), /fit: unknown option 'batch_size'/);
    expectRefused(model, () => model.evaluate(x, y, { batch_size: 2 } as never), /evaluate: unknown option 'batch_size'/);
    expectRefused(model, () => model.predict(x, { verbose: 0 } as never), /predict: unknown option 'verbose'/);
  });

  it('bad option values: epochs, verbose, validationSplit, callbacks', () => {
    const { model, x, y } = fixture();
    expectRefused(model, () => model.fit(x, y, { epochs: 0, verbose: 0 }), /epochs: expected a positive integer, got 0/);
    expectRefused(model, () => model.fit(x, y, { epochs: 1.5, verbose: 0 }), /epochs: expected a positive integer/);
    expectRefused(model, () => model.fit(x, y, { verbose: 3 as never }), /verbose: expected 0, 1 or 2, got 3/);
    expectRefused(model, () => model.fit(x, y, { validationSplit: 1.5, verbose: 0 }), /validationSplit/);
    expectRefused(model, () => model.fit(x, y, { verbose: 0, callbacks: { onEpochEnds: () => {} } as never }), /unknown hook 'onEpochEnds'/);
  });
});

describe('a loss that becomes NaN or Infinity during fit', () => {
  /** Fit until it throws; returns the error and the weights seen after each completed batch. */
  function fitUntilError(model: Sequential, x: Tensor, y: Tensor, batchSize: number, epochs: number): { error: Error; last: number[][] | undefined; epoch: number; batch: number } {
    let last: number[][] | undefined;
    let epoch = 0;
    let batch = 0; // completed batches in the current epoch
    let error: Error | undefined;
    try {
      model.fit(x, y, {
        epochs,
        batchSize,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onEpochBegin: (e) => {
            epoch = e;
            batch = 0;
          },
          onBatchEnd: (b) => {
            batch = b + 1;
            last = model.getWeights().map((w) => Array.from(w.data));
          },
        },
      });
    } catch (e) {
      error = e as Error;
    }
    expect(error, 'fit should have thrown').toBeDefined();
    return { error: error!, last, epoch, batch };
  }

  it('Dense model, a batch with huge inputs: the error names epoch 1, batch 2, and the weights are those after batch 1', () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })], { dtype: 'float64' });
    model.build();
    model.setWeights([tensor([[1e200], [-1e200]], undefined, 'float64'), tensor([0], undefined, 'float64')]);
    model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'mse' });
    // Batch 1 is harmless (the two terms cancel exactly); batch 2 gives 1e400 - 1e400 = NaN.
    const x = tensor([[0.5, 0.5], [0.25, 0.25], [1e200, 1e200], [1, 1]], undefined, 'float64');
    const y = tensor([[1], [1], [1], [1]], undefined, 'float64');
    const { error, last, epoch, batch } = fitUntilError(model, x, y, 2, 3);
    expect(epoch).toBe(0);
    expect(batch).toBe(1);
    expect(error.message).toMatch(/the loss became NaN at epoch 1, batch 2/);
    const now = model.getWeights().map((w) => Array.from(w.data));
    expect(now).toEqual(last);
    expect(now.flat().every(Number.isFinite)).toBe(true);
    expect(model.optimizer!.iterations).toBe(1);
  });

  it('LSTM + Dense, SGD with learning rate 1e30 on MSE: an error naming the epoch and batch; the weights are those after the previous batch, all finite', () => {
    setSeed(34);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 2 })]);
    model.compile({ optimizer: new SGD({ learningRate: 1e30 }), loss: 'mse' });
    const x = randomTensor([8, 3, 2], 311, 'float32', 0, 1);
    const y = randomTensor([8, 2], 312, 'float32', 0, 1);
    const { error, last, epoch, batch } = fitUntilError(model, x, y, 2, 5);
    expect(error.message).toMatch(new RegExp(`epoch ${epoch + 1}, batch ${batch + 1}\\b`));
    const now = model.getWeights().map((w) => Array.from(w.data));
    expect(now).toEqual(last);
    expect(now.flat().every(Number.isFinite)).toBe(true);
  });

  it('LSTM + Dense with huge output weights (float64): loss Infinity in batch 1 is reported as such, nothing is updated', () => {
    setSeed(35);
    const model = new Sequential([new LSTM({ units: 3, inputShape: [2, 2] }), new Dense({ units: 1 })], { dtype: 'float64' });
    model.build();
    const ws = model.getWeights();
    ws[3] = tensor([[1e200], [1e200], [1e200]], undefined, 'float64');
    model.setWeights(ws);
    model.compile({ optimizer: new Adam(), loss: 'mse' });
    const x = randomTensor([4, 2, 2], 313, 'float64', 0.5, 1);
    const y = randomTensor([4, 1], 314);
    const before = snapshot(model);
    const { error } = fitUntilError(model, x, y, 2, 1);
    expect(error.message).toMatch(/the loss became (Infinity|NaN) at epoch 1, batch 1/);
    expectUnchanged(model, before);
  });
});
