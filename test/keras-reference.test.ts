/**
 * Agreement with Keras itself (3.15.1 on TensorFlow 2.21, float64), on the cases where TF.js
 * (test/tfjs-agreement.test.ts) is not the reference because it does not compute them as Keras
 * does, or where only Keras' own training step says what "as Keras" means: the loss and the
 * accuracy of a masked model, the mask carried through a second LSTM, and the T1-style stateful
 * model trained with Adam, state reset after each epoch; which accuracy Keras 3 means by
 * 'accuracy' under binary cross-entropy (src/model/metrics.ts); RMSprop, plain, with momentum,
 * centered and both, over five steps of an LSTM(4) -> Dense(2) model, and on a float32 variable
 * (compared bit for bit: lstm-ts' float32 arithmetic is Keras'); and Keras 3's hard_sigmoid,
 * relu6(x + 3) / 6, which lstm-ts calls 'hardSigmoidKeras3' (predictions and every gradient, with
 * gates on both clamps and between).
 *
 * The figures come from test/fixtures/keras-reference.py (it says how each was taken; Keras'
 * gradients are w_before - w_after of one SGD(1) step, so they include its mask handling and loss
 * reduction). lstm-ts runs each model in float64 from Keras' initial weights. Without Adam the two
 * engines differ only in the order of float64 operations, and everything agrees to 1e-12 of its
 * scale; a loss averaged over the masked steps too, or a mask dropped by the second LSTM, is off
 * by more than 1e-3 (a test checks that the comparison sees it). With Adam, Keras on TensorFlow
 * computes β1^t and β2^t from float32-rounded β's (see src/optim/adam.ts), which makes its
 * step 6.7e-6 smaller, relatively, at the first update: over the 8 updates here the weights drift
 * apart by about 5e-8 (measured: 4.7e-8), so that case is compared at 2e-7. An ε of 1e-8 instead
 * of 1e-7 moves them by 2e-3, and a state not carried between updates by 8e-3. RMSprop has no
 * such rounding in Keras (its ρ, ε and learning rate are float64 for float64 variables): its
 * losses and weights agree to 1e-12 of their scale like the rest (measured worst: 5e-16 over the
 * five steps of the four variants), where tf.keras 2's sqrt(v) + ε is off by 3e-2 (a tiny gradient) after
 * one step.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, RMSprop, SGD, Sequential, tensor, type LossName } from '../src/index.js';

type Nested = number | Nested[];

interface SgdCase {
  x: Nested;
  y: Nested;
  weights: Nested[];
  predictions: Nested;
  loss: number;
  accuracy: number;
  gradients: Nested[];
}

interface StatefulCase {
  x: Nested[];
  y: Nested[];
  weights: Nested[];
  epochs: number;
  losses: number[];
  weightsAfter: Nested[];
  predictions: Nested[];
}

interface RmspropCase {
  x: Nested;
  y: Nested;
  weights: Nested[];
  learningRate: number;
  steps: number;
  runs: { momentum: number; centered: boolean; losses: number[]; weightsAfter: Nested[][] }[];
}

interface RmspropFloat32Case {
  start: number[];
  grads: number[][];
  learningRate: number;
  runs: { momentum: number; centered: boolean; weightsAfter: number[][] }[];
}

const reference = JSON.parse(readFileSync(new URL('./fixtures/keras-reference.json', import.meta.url), 'utf8')) as {
  keras: string;
  maskedSequences: SgdCase;
  maskedLastOutput: SgdCase;
  statefulAdam: StatefulCase;
  bceAccuracy: { x: Nested; y: Nested; weights: Nested[]; loss: number; accuracy: number };
  rmsprop: RmspropCase;
  rmspropFloat32: RmspropFloat32Case;
  hardSigmoidKeras3: SgdCase;
};

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

function maskedSequencesModel(): Sequential {
  const model = new Sequential([
    new LSTM({ units: 4, returnSequences: true, maskValue: 0, inputShape: [5, 2] }), // Masking(0) + LSTM
    new LSTM({ units: 3, returnSequences: true }), // no maskValue: the mask from below goes on
    new Dense({ units: 3, activation: 'softmax' }),
  ], { dtype: 'float64' });
  model.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

function maskedLastOutputModel(): Sequential {
  const model = new Sequential([
    new LSTM({ units: 4, maskValue: 0, inputShape: [4, 3] }),
    new Dense({ units: 3, activation: 'softmax' }),
  ], { dtype: 'float64' });
  model.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Predictions, loss, accuracy and gradients of one case against Keras'. */
function checkSgdCase(model: Sequential, c: SgdCase, label: string): void {
  model.setWeights(c.weights as never);
  expectAgree(model.predict(c.x as never).data, c.predictions, `${label}: predictions`);
  const { loss, accuracy } = model.evaluate(c.x as never, c.y as never);
  expectAgree([loss], c.loss, `${label}: loss`);
  expect(accuracy, `${label}: accuracy`).toBeCloseTo(c.accuracy, 12);
  const { grads } = model.computeGradients(c.x as never, c.y as never);
  grads.forEach((g, i) => expectAgree(g.data, c.gradients[i], `${label}: dL/d${model.weightNames[i]}`));
  // And the step itself: w - 1·g is Keras' weights after its SGD(1) step.
  model.trainOnBatch(c.x as never, c.y as never);
  model.getWeights().forEach((w, i) => {
    const after = flat(c.weights[i]).map((v, j) => v - flat(c.gradients[i])[j]);
    expectAgree(w.data, after, `${label}: ${model.weightNames[i]} after one SGD(1) step`);
  });
}

describe(`Keras ${reference.keras} agreement (float64): masking`, () => {
  it('Masking(0) -> LSTM -> LSTM -> per-step Dense(softmax): predictions, the loss and the accuracy over the unmasked steps, every gradient', () => {
    checkSgdCase(maskedSequencesModel(), reference.maskedSequences, 'maskedSequences');
  });

  it('Masking(0) -> LSTM (last output) -> Dense(softmax), sparse targets, samples padded by 0..3 steps', () => {
    checkSgdCase(maskedLastOutputModel(), reference.maskedLastOutput, 'maskedLastOutput');
  });

  it("the comparison would see a loss averaged over the masked steps too (TF.js's evaluate) or a mask dropped by the second LSTM", () => {
    const c = reference.maskedSequences;
    const xs = flat(c.x); // [3, 5, 2]: row r = (sample, step) holds features 2r, 2r + 1
    const unmasked = Array.from({ length: xs.length / 2 }, (_, r) => xs[2 * r] !== 0 || xs[2 * r + 1] !== 0);
    // Keras' predictions, cross-entropy per step, averaged over every step instead.
    const p = flat(c.predictions);
    const y = flat(c.y);
    const perStep = unmasked.map((_, r) => -[0, 1, 2].reduce((s, k) => s + y[3 * r + k] * Math.log(p[3 * r + k]), 0));
    const overAll = perStep.reduce((s, v) => s + v, 0) / perStep.length;
    const overUnmasked = perStep.filter((_, r) => unmasked[r]).reduce((s, v) => s + v, 0) / unmasked.filter(Boolean).length;
    expect(unmasked.filter((u) => !u).length).toBe(3);
    expect(overUnmasked).toBeCloseTo(c.loss, 12); // the reference is the unmasked mean...
    expect(Math.abs(overAll - c.loss)).toBeGreaterThan(1e-3); // ...and the all-steps mean is far off
    // A second LSTM that ignored the mask would see the zero-padded steps as inputs.
    const unmaskedSecond = new Sequential([
      new LSTM({ units: 4, returnSequences: true, maskValue: 0, inputShape: [5, 2] }),
      new LSTM({ units: 3, returnSequences: true, maskValue: 12345 }), // its own mask replaces the one from below: nothing masked
      new Dense({ units: 3, activation: 'softmax' }),
    ], { dtype: 'float64' });
    unmaskedSecond.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy' });
    unmaskedSecond.setWeights(c.weights as never);
    const gap = Math.max(...Array.from(unmaskedSecond.predict(c.x as never).data, (v, i) => Math.abs(v - p[i])));
    expect(gap).toBeGreaterThan(1e-3);
  });
});

describe(`Keras ${reference.keras} agreement (float64): stateful training with Adam`, () => {
  it("T1's form: LSTM(5, stateful, batch [1, 1, 3]) -> Dense(3, sigmoid), binary cross-entropy, Adam; two epochs of one-step updates, reset after each", () => {
    const c = reference.statefulAdam;
    const model = new Sequential([
      new LSTM({ units: 5, stateful: true, batchInputShape: [1, 1, 3] }),
      new Dense({ units: 3, activation: 'sigmoid' }),
    ], { dtype: 'float64' });
    const loss: LossName = 'binaryCrossentropy';
    model.compile({ optimizer: new Adam(), loss });
    model.setWeights(c.weights as never);
    const losses: number[] = [];
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      c.x.forEach((x, t) => losses.push(model.trainOnBatch(x as never, c.y[t] as never)));
      model.resetStates();
    }
    expectAgree([losses[0]], c.losses[0], 'the loss of the first update (before any step: float64 order only)');
    const ADAM_TOL = 2e-7; // Keras' float32-rounded β's in its step size (see the top of this file)
    expectAgree(losses, c.losses, 'the loss of each update (before it)', ADAM_TOL);
    model.getWeights().forEach((w, i) => expectAgree(w.data, c.weightsAfter[i], `${model.weightNames[i]} after ${c.losses.length} Adam updates`, ADAM_TOL));
    // The four predictions from a reset state, the state carried from one to the next.
    c.x.forEach((x, t) => expectAgree(model.predict(x as never).data, c.predictions[t], `prediction ${t + 1}`, ADAM_TOL));
  });
});

describe(`Keras ${reference.keras} agreement (float64): which accuracy 'accuracy' is`, () => {
  it("binary cross-entropy over 5 sigmoid units: Keras 3's 'accuracy' is lstm-ts' 'categoricalAccuracy'; lstm-ts' 'accuracy' is binary accuracy (Keras 2.0-2.2, TF.js)", () => {
    const c = reference.bceAccuracy;
    const figures = (metric: string): Record<string, number> => {
      const model = new Sequential([new LSTM({ units: 4, inputShape: [2, 3] }), new Dense({ units: 5, activation: 'sigmoid' })], { dtype: 'float64' });
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: [metric] });
      model.setWeights(c.weights as never);
      return model.evaluate(c.x as never, c.y as never);
    };
    const named = figures('categoricalAccuracy');
    expectAgree([named.loss], c.loss, 'loss');
    expect(named.categoricalAccuracy).toBeCloseTo(c.accuracy, 12);
    // By the Keras 2.0 rule 'accuracy' counts each of the 5 outputs against its 0/1 target instead.
    const binary = figures('accuracy').accuracy;
    expect(binary).toBeCloseTo(figures('binaryAccuracy').binaryAccuracy, 12);
    expect(Math.abs(binary - c.accuracy)).toBeGreaterThan(0.1);
  });
});

describe(`Keras ${reference.keras} agreement (float64): RMSprop, plain, momentum and centered`, () => {
  const c = reference.rmsprop;
  const variant = (run: { momentum: number; centered: boolean }): string => `momentum ${run.momentum}, centered ${run.centered}`;

  it.each(c.runs.map((run) => [variant(run), run] as const))('LSTM(4) -> Dense(2), MSE, five steps of RMSprop(0.01), %s: the loss before each step and every weight after each, to float64 rounding', (_, run) => {
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 2 })], { dtype: 'float64' });
    model.compile({ optimizer: new RMSprop({ learningRate: c.learningRate, momentum: run.momentum, centered: run.centered }), loss: 'meanSquaredError' });
    model.setWeights(c.weights as never);
    for (let step = 0; step < c.steps; step++) {
      const loss = model.trainOnBatch(c.x as never, c.y as never);
      expectAgree([loss], run.losses[step], `loss before step ${step + 1}`);
      model.getWeights().forEach((w, i) => expectAgree(w.data, run.weightsAfter[step][i], `${model.weightNames[i]} after step ${step + 1}`));
    }
  });

  it("the comparison would see tf.keras 2's placement of ε, sqrt(v) + ε: its first plain step is off by far more than 1e-12", () => {
    // One step from Keras' start: v = 0.1·g², w1 = w0 - lr·g / (sqrt(v) + ε), with lstm-ts' own gradient.
    const run = c.runs[0];
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2] }), new Dense({ units: 2 })], { dtype: 'float64' });
    model.compile({ optimizer: new RMSprop({ learningRate: c.learningRate }), loss: 'meanSquaredError' });
    model.setWeights(c.weights as never);
    const { grads } = model.computeGradients(c.x as never, c.y as never);
    const kerasTwo = model.getWeights().map((w, i) => Array.from(w.data, (v, j) => {
      const g = grads[i].data[j];
      return v - (c.learningRate * g) / (Math.sqrt(0.1 * g * g) + 1e-7);
    }));
    const gap = Math.max(...kerasTwo.flatMap((w, i) => w.map((v, j) => Math.abs(v - flat(run.weightsAfter[0][i])[j]))));
    expect(gap).toBeGreaterThan(1e-3); // measured: 3.1e-2, on a weight whose gradient is tiny
  });
});

describe(`Keras ${reference.keras} agreement (float32): RMSprop updates a float32 variable bit for bit as Keras does`, () => {
  const c = reference.rmspropFloat32;
  it.each(c.runs.map((run) => [`momentum ${run.momentum}, centered ${run.centered}`, run] as const))('%s: six steps, tiny gradients among them', (_, run) => {
    const w = tensor(Float32Array.from(c.start), [c.start.length]);
    const opt = new RMSprop({ learningRate: c.learningRate, momentum: run.momentum, centered: run.centered });
    c.grads.forEach((g, step) => {
      opt.applyGradients([w], [tensor(Float32Array.from(g), [g.length])]);
      expect(Array.from(w.data), `after step ${step + 1}`).toEqual(run.weightsAfter[step]);
    });
  });
});

describe(`Keras ${reference.keras} agreement (float64): Keras 3's hard_sigmoid is 'hardSigmoidKeras3'`, () => {
  const c = reference.hardSigmoidKeras3;
  const model = (recurrentActivation: 'hardSigmoidKeras3' | 'hardSigmoid'): Sequential => {
    const m = new Sequential([new LSTM({ units: 5, recurrentActivation, inputShape: [3, 3] }), new Dense({ units: 3, activation: 'softmax' })], { dtype: 'float64' });
    m.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };

  it("LSTM(5, recurrent_activation='hard_sigmoid') -> Dense(3, softmax) in Keras 3: predictions, loss, accuracy and every gradient", () => {
    checkSgdCase(model('hardSigmoidKeras3'), c, 'hardSigmoidKeras3');
  });

  it('the case reaches both clamps and the slope between (first step, h0 = 0: z = x_0·W + b), and Keras 2\'s hardSigmoid would be far off', () => {
    const [W, , b] = c.weights as number[][][];
    const x = c.x as number[][][];
    const H = 5;
    const gates = x.flatMap((sample) => Array.from({ length: 4 * H }, (_, k) => sample[0].reduce((z, xi, i) => z + xi * W[i][k], (b as unknown as number[])[k])))
      .filter((_, k) => Math.floor((k % (4 * H)) / H) !== 2); // i, f and o, not the candidate
    expect(gates.some((z) => z < -3)).toBe(true);
    expect(gates.some((z) => z > 3)).toBe(true);
    expect(gates.filter((z) => z > -3 && z < 3).length).toBeGreaterThan(10);
    const keras2 = model('hardSigmoid');
    keras2.setWeights(c.weights as never);
    const p = flat(c.predictions);
    const gap = Math.max(...Array.from(keras2.predict(c.x as never).data, (v, i) => Math.abs(v - p[i])));
    expect(gap).toBeGreaterThan(1e-3);
  });
});
