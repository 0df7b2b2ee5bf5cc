/**
 * Keras 3 goldens (test/fixtures/keras-layers-reference.json, written by keras-layers-reference.py
 * beside it, which says what each case is) for the layers of issue 26 where TF.js is no
 * reference: a mask made by Embedding(maskZero) going through TimeDistributed and Dropout to an
 * LSTM and on to the loss (Keras' masked mean; TF.js averages over every step), and Dropout at
 * inference. In float64, to 1e-9 relative: predictions, evaluate's loss, and one train_on_batch
 * with SGD(1) (its loss and w_before - w_after, Keras' own training step).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, Embedding, LSTM, SGD, Sequential, TimeDistributed, tensor } from '../src/index.js';

type Nested = number | Nested[];

const reference = JSON.parse(readFileSync(new URL('./fixtures/keras-layers-reference.json', import.meta.url), 'utf8')) as {
  keras: string;
  maskFlow: { x: Nested; y: Nested; weights: Nested[]; predictions: Nested; evaluateLoss: number; loss: number; gradients: Nested[] };
};

function flat(values: Nested): number[] {
  return Array.isArray(values) ? values.flatMap(flat) : [values];
}

/** |a − e| <= rel · max(|e|, floor · max|e|) at every entry, naming the worst. */
function expectRelative(actual: ArrayLike<number>, expected: number[], rel: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const scale = Math.max(1e-6 * Math.max(...expected.map(Math.abs)), 1e-300);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), scale);
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  if (!(worst <= rel)) expect.fail(`${label}: entry ${at}: lstm-ts ${actual[at]}, Keras ${expected[at]}, relative error ${worst} > ${rel}`);
}

describe(`Keras ${reference.keras} agreement (float64): Embedding(maskZero) → TimeDistributed(Dense) → Dropout → LSTM → TimeDistributed(Dense(softmax))`, () => {
  const c = reference.maskFlow;
  const build = (rate: number) => {
    const model = new Sequential([
      new Embedding({ inputDim: 7, outputDim: 3, maskZero: true, inputShape: [5] }),
      new TimeDistributed(new Dense({ units: 4, activation: 'tanh' })),
      new Dropout({ rate }),
      new LSTM({ units: 3, returnSequences: true }),
      new TimeDistributed(new Dense({ units: 2, activation: 'softmax' })),
    ], { dtype: 'float64' });
    model.setWeights(c.weights.map((w) => tensor(w as number[], undefined, 'float64')));
    model.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy' });
    return model;
  };
  const x = tensor(c.x as number[][], undefined, 'float64');
  const y = tensor(c.y as number[][][], undefined, 'float64');

  it('inference with Dropout(0.5): predict and evaluate (the masked mean) as Keras', () => {
    const model = build(0.5);
    expectRelative(model.predict(x).data, flat(c.predictions), 1e-9, 'predictions');
    expectRelative([model.evaluate(x, y).loss], [c.evaluateLoss], 1e-9, 'evaluate loss');
    // Not vacuous: the mean over every step, masked ones included (TF.js' reduction), is another number.
    const p = flat(c.predictions);
    const t = flat(c.y);
    let sum = 0;
    for (let i = 0; i < p.length; i++) sum -= t[i] * Math.log(p[i]);
    expect(Math.abs(sum / (p.length / 2) - c.evaluateLoss)).toBeGreaterThan(1e-3);
  });

  it("training (Dropout(0), which only passes the mask): one SGD(1) step's loss and w_before - w_after as Keras' train_on_batch", () => {
    const model = build(0);
    const before = model.getWeights();
    const loss = model.trainOnBatch(x, y);
    expectRelative([loss], [c.loss], 1e-9, 'loss');
    const after = model.getWeights();
    before.forEach((w, k) => {
      const step = Array.from(w.data, (v, i) => v - after[k].data[i]);
      expectRelative(step, flat(c.gradients[k]), 1e-9, `weight ${k} (${model.weightNames[k]})`);
    });
    // The padded steps' rows of the embeddings get no gradient (row 0 is only used at masked steps).
    expect(flat(c.gradients[0]).slice(0, 3)).toEqual([0, 0, 0]);
  });
});
