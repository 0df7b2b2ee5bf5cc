/**
 * The regression losses and several metrics against Keras 3 itself (3.15.1 on TensorFlow 2.21,
 * float64; the figures and how each was taken: test/fixtures/keras-regression.py, which wrote
 * test/fixtures/keras-regression.json, the only thing this test reads):
 *   - each loss's value and gradient w.r.t. the predictions on random data, [4, 3] and [2, 3, 2]
 *     (errors both sides of huber's delta; MAPE targets within 1e-7 of zero, so clipped);
 *   - each loss through a masked model, Masking(0) -> LSTM(3, return_sequences) -> Dense(2),
 *     with metrics ['mae', 'mse', 'mape', 'accuracy']: evaluate's figures (means over the
 *     unmasked steps) and the gradients of Keras' own train_on_batch (w_before - w_after, SGD(1));
 *   - fit's History with four metrics, validation data and an uneven last batch, three epochs
 *     of SGD(0.1) on huber: the loss averaged by batch size, every metric over the epoch's
 *     unmasked steps, the weights after.
 * Everything agrees to 1e-12 of its scale (the engines differ only in the order of float64
 * operations); a metric averaged by batch size instead of by unmasked steps, or over the
 * masked steps too, is off by more than 1e-3 (checked below, so the comparison can fail).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dense, LSTM, SGD, Sequential, getLoss, tensor } from '../src/index.js';

type Nested = number | Nested[];

interface Fixture {
  keras: string;
  losses: { loss: string; yTrue: Nested; yPred: Nested; value: number; grad: Nested }[];
  masked: { loss: string; x: Nested; y: Nested; weights: Nested[]; evaluate: Record<string, number>; trainOnBatch: Record<string, number>; gradients: Nested[] }[];
  fit: { loss: string; metrics: string[]; x: Nested; y: Nested; xVal: Nested; yVal: Nested; weights: Nested[]; epochs: number; batchSize: number; history: Record<string, number[]>; weightsAfter: Nested[] };
}

const reference = JSON.parse(readFileSync(new URL('./fixtures/keras-regression.json', import.meta.url), 'utf8')) as Fixture;

const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

/** |actual - expected| <= tol · max(1, max|expected|), entry by entry, with the worst one in the message. */
function expectAgree(actual: ArrayLike<number>, expected: Nested, label: string, tol = 1e-12): void {
  const want = flat(expected);
  expect(actual.length, `${label}: length`).toBe(want.length);
  const scale = Math.max(1, ...want.map(Math.abs));
  let worst = 0;
  let at = 0;
  want.forEach((w, i) => {
    const gap = Math.abs(actual[i] - w);
    if (!(gap <= worst)) [worst, at] = [gap, i];
  });
  expect(worst, `${label}: entry ${at} is ${actual[at]}, Keras ${want[at]} (scale ${scale})`).toBeLessThanOrEqual(tol * scale);
}

const shapeOf = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

/**
 * Keras 3's log_cosh subtracts log 2 computed in float32 (ops.log(2.0), then cast to float64:
 * 0.6931471824645996), lstm-ts the float64 log 2: Keras' loss is lower by that constant,
 * 1.9e-9, at every element and so in the mean (src/losses/log-cosh.ts). The gradient is the same.
 */
const kerasOffset = (loss: string): number => (loss === 'log_cosh' ? Math.fround(Math.LN2) - Math.LN2 : 0);

/** Masking(0) -> LSTM(3, return_sequences) -> Dense(2) in lstm-ts: the mask is the LSTM's maskValue. */
function maskedModel(T: number, loss: string, metrics: string[], learningRate: number): Sequential {
  const model = new Sequential([
    new LSTM({ units: 3, returnSequences: true, maskValue: 0, inputShape: [T, 2] }),
    new Dense({ units: 2 }),
  ], { dtype: 'float64' });
  model.compile({ optimizer: new SGD({ learningRate }), loss, metrics });
  return model;
}

describe(`the regression losses against Keras ${reference.keras}`, () => {
  for (const c of reference.losses) {
    const shape = shapeOf(c.yTrue);
    it(`${c.loss} on ${JSON.stringify(shape)}: the value and dL/dyPred`, () => {
      const loss = getLoss(c.loss);
      const r = loss.compute(tensor(flat(c.yPred), shape, 'float64'), tensor(flat(c.yTrue), shape, 'float64'));
      expectAgree([r.loss], c.value + kerasOffset(c.loss), `${c.loss}: loss`);
      expectAgree(r.grad.data, c.grad, `${c.loss}: gradient`, 1e-12);
    });
  }
});

describe('a masked sequence model: the loss, several metrics and the gradients over the unmasked steps', () => {
  for (const c of reference.masked) {
    it(`${c.loss}, metrics mae, mse, mape, accuracy`, () => {
      const model = maskedModel(5, c.loss, ['mae', 'mse', 'mape', 'accuracy'], 1);
      model.setWeights(c.weights as never);
      const scores = model.evaluate(c.x as never, c.y as never, { batchSize: 3 });
      expect(Object.keys(scores).sort()).toEqual(Object.keys(c.evaluate).sort());
      for (const [key, value] of Object.entries(c.evaluate)) expectAgree([scores[key]], value + (key === 'loss' ? kerasOffset(c.loss) : 0), `${c.loss}: evaluate ${key}`);
      const { grads } = model.computeGradients(c.x as never, c.y as never);
      grads.forEach((g, i) => expectAgree(g.data, c.gradients[i], `${c.loss}: dL/d${model.weightNames[i]}`));
      // The training step reports what Keras' train_on_batch reports (the figures before its update).
      expectAgree([model.trainOnBatch(c.x as never, c.y as never)], c.trainOnBatch.loss + kerasOffset(c.loss), `${c.loss}: trainOnBatch`);
    });
  }

  it('the comparison can fail: the mean over every step (masked ones too) is off by more than 1e-3', () => {
    const c = reference.masked[0];
    const model = maskedModel(5, c.loss, [], 1);
    model.setWeights(c.weights as never);
    const yPred = model.predict(c.x as never).data;
    const y = flat(c.y);
    const overAll = y.reduce((s, t, i) => s + Math.abs(yPred[i] - t), 0) / y.length; // mae over all 15 steps
    expect(Math.abs(overAll - c.evaluate.mae)).toBeGreaterThan(1e-3);
  });
});

describe('fit with four metrics and validation data: Keras\' History', () => {
  const c = reference.fit;
  it(`${c.loss}, metrics ${c.metrics.join(', ')}: every key and value, and the weights after`, () => {
    const model = maskedModel(4, c.loss, c.metrics, 0.1);
    model.setWeights(c.weights as never);
    const h = model.fit(c.x as never, c.y as never, { epochs: c.epochs, batchSize: c.batchSize, shuffle: false, verbose: 0, validationData: [c.xVal as never, c.yVal as never] });
    expect(Object.keys(h.history).sort()).toEqual(Object.keys(c.history).sort());
    for (const [key, values] of Object.entries(c.history)) expectAgree(h.history[key], values, `history.${key}`);
    model.getWeights().forEach((w, i) => expectAgree(w.data, c.weightsAfter[i], `weights after: ${model.weightNames[i]}`));
  });

  it('the comparison can fail: the metrics weighted by batch size instead of by unmasked steps are off by more than 1e-3', () => {
    const model = maskedModel(4, c.loss, ['mae'], 0.1);
    model.setWeights(c.weights as never);
    const perBatch: { mae: number; size: number }[] = [];
    model.fit(c.x as never, c.y as never, { epochs: 1, batchSize: c.batchSize, shuffle: false, verbose: 0, callbacks: { onBatchEnd: (_b, logs) => perBatch.push({ mae: logs.mae, size: logs.size }) } });
    const bySize = perBatch.reduce((s, b) => s + b.mae * b.size, 0) / perBatch.reduce((s, b) => s + b.size, 0);
    expect(Math.abs(bySize - c.history.mae[0])).toBeGreaterThan(1e-3);
  });
});
