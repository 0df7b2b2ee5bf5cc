/**
 * Agreement with TensorFlow.js, an independent engine (its pure-JS 'cpu' backend, float32):
 * the same weights and inputs give the same outputs and the same gradients, and the optimizers
 * walk the same trajectories.
 *
 *   1. forward outputs, the loss, dL/dweights (every weight) and dL/dx over random configurations
 *      drawn by fast-check: units 1–17, input 1–9, time steps 1–7, batch 1–5, returnSequences on
 *      and off, sigmoid and hardSigmoid gates, tanh / relu / linear cell activations, with and
 *      without bias; a stack of two LSTMs; stateful over two consecutive batches; Dense with each
 *      activation and each loss (also enumerated, so every pair runs whatever fast-check draws);
 *      maskValue against TF.js's Masking + LSTM, on padded input (outputs, loss, weight gradients);
 *   2. 10 steps of SGD (plain, momentum, Nesterov), Adam and RMSprop (plain, momentum, centered)
 *      from the same start with the same gradient sequence; where TF.js's formula differs from
 *      Keras' by design, against the Keras form computed independently here.
 *
 * Tolerances: outputs and losses |ours - TF.js| <= 1e-5 · max(1, max|TF.js|); gradients relative
 * 1e-4, with a floor of 1% of the tensor's largest entry (an entry near zero through cancellation
 * carries the absolute float32 error of the terms that cancelled: measured worst 3e-5 over 150
 * random cases at this floor, 2e-4 at a 0.1% floor); trajectories 1e-5 · max(1, |w|).
 *
 * TF.js 4.22 throws when differentiating through the input of an LSTM run for one time step
 * (see tfjsFigures): with T = 1 the input gradient is not compared, and in a stack only the
 * weights above the last LSTM's input are.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Adam, Dense, LSTM, RMSprop, SGD, Sequential, Tensor, tensor, type Layer, type Optimizer, toTfjsArtifacts } from '../src/index.js';
import {
  buildOurs, buildTfjs, expectClose, expectNear, initTf, ourFigures, outputShape, randomTargets, rng, tf, tfjsFigures, uniform,
  type DenseSpec, type LSTMSpec, type LossName, type ModelSpec,
} from './tfjs-helpers.js';

beforeAll(initTf);

const OUTPUT_TOL = 1e-5;
const GRAD_REL = 1e-4;
const GRAD_FLOOR = 1e-2;

// ---------------------------------------------------------------------------------------------
// 1. Forward and gradients
// ---------------------------------------------------------------------------------------------

/** Run one spec through both engines (two consecutive batches when stateful) and compare everything. */
function checkAgreement(spec: ModelSpec, seed: number): void {
  const label = `spec ${JSON.stringify(spec)} seed ${seed}`;
  const next = rng(seed);
  const ours = buildOurs(spec, next);
  const theirs = buildTfjs(spec, ours.getWeights());
  const names = ours.weightNames;
  const T = spec.timeSteps;
  // With T = 1 TF.js differentiates only the layers above the last LSTM's input (see tfjsFigures).
  const firstLayer = T > 1 ? 0 : spec.lstms.length - 1;
  try {
    for (let batch = 1; batch <= (spec.stateful ? 2 : 1); batch++) {
      const where = `${label}, batch ${batch}`;
      const x = uniform([spec.batch, T, spec.inputDim], next);
      const y = randomTargets(spec.loss, outputShape(spec), next);
      const a = ourFigures(ours, x, y);
      const b = tfjsFigures(theirs, spec.loss, x, y, T > 1, firstLayer);
      expectNear(a.output, b.output, OUTPUT_TOL, `${where}: output`);
      expectNear([a.loss], [b.loss], OUTPUT_TOL, `${where}: loss`);
      let compared = 0;
      a.weightGrads.forEach((g, i) => {
        const expected = b.weightGrads[i];
        if (expected === undefined) return;
        expectClose(g, expected, GRAD_REL, GRAD_FLOOR, `${where}: dL/d${names[i]}`);
        compared++;
      });
      expect(compared, `${where}: weights compared`).toBeGreaterThan(0);
      if (b.inputGrad) expectClose(a.inputGrad!, b.inputGrad, GRAD_REL, GRAD_FLOOR, `${where}: dL/dx`);
      if (spec.stateful) {
        // The carried (h, c) each layer hands to the next batch.
        spec.lstms.forEach((_, k) => {
          const carried = (theirs.layers[k] as unknown as { states: tf.Tensor[] }).states;
          ours.layers[k].getStates().forEach((state, s) => expectNear(state.data, carried[s].dataSync(), OUTPUT_TOL, `${where}: layer ${k + 1} state ${s === 0 ? 'h' : 'c'}`));
        });
      }
    }
  } finally {
    theirs.dispose();
  }
}

/** The Dense activations TF.js has (all of lstm-ts' but Keras 3's hard sigmoid). */
type HeadActivation = DenseSpec['activation'];

const ALL_DENSE_ACTIVATIONS: HeadActivation[] = ['linear', 'sigmoid', 'hardSigmoid', 'tanh', 'relu', 'softmax'];

/** Every (Dense activation, loss) pair that makes sense: MSE with any, cross-entropies with probabilities. */
const HEADS: [HeadActivation, LossName][] = [
  ...ALL_DENSE_ACTIVATIONS.map((a) => [a, 'meanSquaredError'] as [HeadActivation, LossName]),
  ['sigmoid', 'binaryCrossentropy'],
  ['hardSigmoid', 'binaryCrossentropy'],
  ['softmax', 'binaryCrossentropy'],
  ['softmax', 'categoricalCrossentropy'],
  ['sigmoid', 'categoricalCrossentropy'],
  ['softmax', 'sparseCategoricalCrossentropy'],
  ['sigmoid', 'sparseCategoricalCrossentropy'],
];

function minUnits(activation: HeadActivation, loss: LossName): number {
  return activation === 'softmax' || loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy' ? 2 : 1;
}

const lstmArb = (returnSequences: fc.Arbitrary<boolean>): fc.Arbitrary<LSTMSpec> => fc.record({
  units: fc.integer({ min: 1, max: 17 }),
  activation: fc.oneof({ arbitrary: fc.constant('tanh' as const), weight: 3 }, { arbitrary: fc.constantFrom('relu' as const, 'linear' as const), weight: 1 }),
  recurrentActivation: fc.constantFrom('sigmoid' as const, 'hardSigmoid' as const),
  useBias: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  returnSequences,
});

/** A Dense head and its loss, or none (the LSTM's output itself, with MSE). */
const headArb: fc.Arbitrary<{ dense: DenseSpec | null; loss: LossName }> = fc.oneof(
  { arbitrary: fc.constant({ dense: null, loss: 'meanSquaredError' as LossName }), weight: 1 },
  {
    arbitrary: fc.constantFrom(...HEADS).chain(([activation, loss]) => fc.record({
      dense: fc.record({ units: fc.integer({ min: minUnits(activation, loss), max: 5 }), activation: fc.constant(activation), useBias: fc.boolean() }),
      loss: fc.constant(loss),
    })),
    weight: 5,
  },
);

function specArb(options: { stack: boolean; stateful: boolean }): fc.Arbitrary<ModelSpec> {
  const lstms = options.stack ? fc.tuple(lstmArb(fc.constant(true)), lstmArb(fc.boolean())) : fc.tuple(lstmArb(fc.boolean()));
  return fc.record({
    batch: fc.integer({ min: 1, max: 5 }),
    timeSteps: fc.integer({ min: 1, max: 7 }),
    inputDim: fc.integer({ min: 1, max: 9 }),
    stateful: fc.constant(options.stateful),
    lstms: lstms.map((l) => [...l]),
    head: headArb,
  }).map(({ head, ...rest }) => ({ ...rest, dense: head.dense, loss: head.loss }));
}

const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('TF.js agreement: outputs, loss and gradients', () => {
  it('one LSTM (+ Dense): random configurations', () => {
    fc.assert(fc.property(specArb({ stack: false, stateful: false }), seedArb, (spec, seed) => checkAgreement(spec, seed)), { seed: 501, numRuns: 150 });
  });

  it('a stack of two LSTMs: random configurations', () => {
    fc.assert(fc.property(specArb({ stack: true, stateful: false }), seedArb, (spec, seed) => checkAgreement(spec, seed)), { seed: 502, numRuns: 50 });
  });

  it('stateful, over two consecutive batches (one LSTM and a stack of two)', () => {
    const arb = fc.oneof(specArb({ stack: false, stateful: true }), specArb({ stack: true, stateful: true }));
    fc.assert(fc.property(arb, seedArb, (spec, seed) => checkAgreement(spec, seed)), { seed: 503, numRuns: 50 });
  });

  it.each(HEADS)('Dense %s with %s, on a sequence and on the last step', (activation, loss) => {
    for (const returnSequences of [false, true]) {
      for (const recurrentActivation of ['sigmoid', 'hardSigmoid'] as const) {
        checkAgreement({
          batch: 3, timeSteps: 4, inputDim: 3, stateful: false,
          lstms: [{ units: 5, activation: 'tanh', recurrentActivation, useBias: true, returnSequences }],
          dense: { units: 4, activation, useBias: true },
          loss,
        }, 7);
      }
    }
  });

  /**
   * Masking: our LSTM with maskValue against TF.js's Masking + LSTM, the TF.js model loaded from
   * our artifacts. Inputs pre-padded with the mask value, plus a masked step inside one sequence.
   * TF.js 4.22 cannot differentiate through a Masking layer's mask (its `any` has no gradient), so
   * dL/dx is not compared, nor the weights below the last Masking layer (its mask depends on them).
   */
  const MASKED: [string, () => { layers: Layer[]; loss: LossName; shape: [number, number, number]; maskValue: number; masked: [number, number][] }][] = [
    ['many-to-one, maskValue -1', () => ({
      layers: [new LSTM({ units: 5, inputShape: [6, 4], maskValue: -1 }), new Dense({ units: 3, activation: 'softmax' })],
      loss: 'categoricalCrossentropy', shape: [3, 6, 4], maskValue: -1, masked: [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2], [2, 3], [2, 4], [1, 3]],
    })],
    ['sequence outputs, maskValue 0', () => ({
      layers: [new LSTM({ units: 5, inputShape: [5, 3], maskValue: 0, returnSequences: true }), new Dense({ units: 2 })],
      loss: 'meanSquaredError', shape: [3, 5, 3], maskValue: 0, masked: [[0, 0], [0, 1], [0, 2], [1, 0], [2, 2]],
    })],
    ['two LSTMs, each masked', () => ({
      layers: [
        new LSTM({ units: 4, inputShape: [6, 2], maskValue: 0.5, returnSequences: true }),
        new LSTM({ units: 3, maskValue: 0 }), // the first LSTM's outputs at pre-padded steps are its zero initial state
        new Dense({ units: 1, activation: 'sigmoid' }),
      ],
      loss: 'binaryCrossentropy', shape: [2, 6, 2], maskValue: 0.5, masked: [[0, 0], [0, 1], [0, 2], [1, 4]],
    })],
  ];

  it.each(MASKED)('masking, %s: outputs, loss (over the unmasked steps, as Keras) and weight gradients agree with TF.js Masking + LSTM loaded from our artifacts', async (_, build) => {
    const { layers, loss, shape, maskValue, masked } = build();
    const next = rng(11);
    const ours = new Sequential(layers);
    ours.build();
    ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.5, 0.5)));
    ours.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(ours))) as tf.Sequential;
    try {
      const [, T, I] = shape;
      const x = uniform(shape, next);
      for (const [b, t] of masked) x.data.fill(maskValue, (b * T + t) * I, (b * T + t + 1) * I);
      const y = randomTargets(loss, [...ours.predict(x).shape], next);
      const lastMasking = theirs.layers.map((l) => l.getClassName()).lastIndexOf('Masking');
      const a = ourFigures(ours, x, y);
      // With sequence outputs the mask reaches the loss: Keras' masked mean, written out for TF.js.
      const isMasked = new Set(masked.map(([b, t]) => b * T + t));
      const unmaskedRows = y.rank === 3 ? Array.from({ length: shape[0] }, (_, b) => Array.from({ length: T }, (_, t) => (isMasked.has(b * T + t) ? 0 : 1))) : undefined;
      const b = tfjsFigures(theirs, loss, x, y, false, lastMasking + 1, unmaskedRows);
      expectNear(a.output, b.output, OUTPUT_TOL, 'output');
      expectNear([a.loss], [b.loss], OUTPUT_TOL, 'loss');
      let compared = 0;
      a.weightGrads.forEach((g, i) => {
        if (b.weightGrads[i] === undefined) return;
        expectClose(g, b.weightGrads[i]!, GRAD_REL, GRAD_FLOOR, `dL/d${ours.weightNames[i]}`);
        compared++;
      });
      expect(compared).toBe(theirs.layers.slice(lastMasking + 1).reduce((n, l) => n + l.trainableWeights.length, 0));
    } finally {
      theirs.dispose();
    }
  });

  it('masking: lstm-ts averages the loss over the unmasked steps (Keras); TF.js\'s own evaluate averages over every step, masked ones too', async () => {
    const { layers, loss, shape, maskValue, masked } = MASKED[1][1](); // sequence outputs
    const next = rng(12);
    const ours = new Sequential(layers);
    ours.build();
    ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.5, 0.5)));
    ours.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(ours)));
    try {
      theirs.compile({ optimizer: 'sgd', loss });
      const [, T, I] = shape;
      const x = uniform(shape, next);
      for (const [b, t] of masked) x.data.fill(maskValue, (b * T + t) * I, (b * T + t + 1) * I);
      const prediction = ours.predict(x);
      const y = randomTargets(loss, [...prediction.shape], next);
      const theirLoss = tf.tidy(() => (theirs.evaluate(tf.tensor(x.data, [...x.shape]), tf.tensor(y.data, [...y.shape])) as tf.Scalar).dataSync()[0]);
      const width = prediction.shape[2];
      const isMasked = new Set(masked.map(([b, t]) => b * T + t));
      const squares = Array.from(prediction.data, (p, i) => (p - y.data[i]) ** 2);
      const mean = (values: number[]) => values.reduce((u, v) => u + v, 0) / values.length;
      // Ours: the mean over the unmasked steps only (Keras' reduction with a mask).
      expectNear([ours.evaluate(x, y).loss], [mean(squares.filter((_, i) => !isMasked.has(Math.floor(i / width))))], OUTPUT_TOL, 'loss over the unmasked steps');
      // TF.js 4.22: the mean over every step, masked ones included (its training ignores output masks).
      expectNear([theirLoss], [mean(squares)], OUTPUT_TOL, 'TF.js loss over every step');
      expect(Math.abs(ours.evaluate(x, y).loss - theirLoss)).toBeGreaterThan(1e-3);
    } finally {
      theirs.dispose();
    }
  });

  it('the harness compares every weight and the input for T > 1, and catches a perturbed gradient', () => {
    // A guard on the harness: for T > 1 every weight and the input are compared.
    const spec: ModelSpec = {
      batch: 2, timeSteps: 3, inputDim: 2, stateful: false,
      lstms: [{ units: 3, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, returnSequences: false }],
      dense: { units: 2, activation: 'linear', useBias: true }, loss: 'meanSquaredError',
    };
    const next = rng(3);
    const ours = buildOurs(spec, next);
    const theirs = buildTfjs(spec, ours.getWeights());
    try {
      const x = uniform([2, 3, 2], next);
      const y = randomTargets(spec.loss, outputShape(spec), next);
      const b = tfjsFigures(theirs, spec.loss, x, y, true, 0);
      expect(b.weightGrads.every((g) => g !== undefined)).toBe(true);
      expect(b.inputGrad?.length).toBe(12);
      // And a perturbed weight is caught: the harness can fail.
      const a = ourFigures(ours, x, y);
      const bad = Float32Array.from(a.weightGrads[1]);
      bad[0] += 1e-3 * Math.max(...bad.map(Math.abs));
      expect(() => expectClose(bad, b.weightGrads[1]!, GRAD_REL, GRAD_FLOOR, 'perturbed')).toThrow(/relative error/);
    } finally {
      theirs.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Optimizer trajectories
// ---------------------------------------------------------------------------------------------

const SHAPES = [[3, 4], [4], [2, 3, 2]];
const STEPS = 10;

interface Run {
  start: Tensor[];
  /** grads[step][param] */
  grads: Tensor[][];
}

/** A start and 10 gradient sets; each gradient entry is ±U(lo, hi) (bounded away from zero unless lo = 0). */
function makeRun(seed: number, lo = 0.05, hi = 1): Run {
  const next = rng(seed);
  const start = SHAPES.map((s) => uniform(s, next));
  const grads = Array.from({ length: STEPS }, () => SHAPES.map((s) => {
    const g = uniform(s, next, lo, hi);
    for (let i = 0; i < g.data.length; i++) if (next() < 0.5) g.data[i] = -g.data[i];
    return g;
  }));
  return { start, grads };
}

/** Our optimizer's weights after each step (float32, as a model holds them). */
function ourTrajectory(optimizer: Optimizer, run: Run): Float32Array[][] {
  const params = run.start.map((w) => w.clone());
  return run.grads.map((g) => {
    optimizer.applyGradients(params, g);
    return params.map((p) => Float32Array.from(p.data));
  });
}

/** A TF.js optimizer's weights after each step. */
function tfjsTrajectory(optimizer: tf.Optimizer, run: Run): Float32Array[][] {
  const vars = run.start.map((w) => tf.variable(tf.tensor(w.data, [...w.shape], 'float32')));
  try {
    return run.grads.map((g) => {
      tf.tidy(() => optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(g[i].data, [...g[i].shape], 'float32') }))));
      return vars.map((v) => v.dataSync() as Float32Array);
    });
  } finally {
    tf.dispose(vars);
    optimizer.dispose();
  }
}

/** A float64 trajectory from a plain per-element update rule (the Keras formula, written out here). */
function referenceTrajectory(run: Run, slotCount: number, step: (w: number, g: number, slots: number[], t: number) => number): Float64Array[][] {
  const params = run.start.map((w) => Float64Array.from(w.data));
  const slots = params.map((p) => Array.from({ length: p.length }, () => new Array<number>(slotCount).fill(0)));
  return run.grads.map((g, s) => {
    params.forEach((p, i) => {
      for (let j = 0; j < p.length; j++) p[j] = step(p[j], g[i].data[j], slots[i][j], s + 1);
    });
    return params.map((p) => Float64Array.from(p));
  });
}

function expectSameTrajectory(actual: ArrayLike<number>[][], expected: ArrayLike<number>[][], tol: number, label: string): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((stepValues, s) => stepValues.forEach((w, i) => expectNear(w, expected[s][i], tol, `${label}: step ${s + 1}, param ${i}`)));
}

const TRAJ_TOL = 1e-5;

describe('TF.js agreement: optimizer trajectories (10 steps, same start, same gradients)', () => {
  const hyper = fc.record({
    seed: seedArb,
    learningRate: fc.double({ min: 1e-3, max: 0.1, noNaN: true }),
    momentum: fc.double({ min: 0.05, max: 0.99, noNaN: true }),
  });

  it('SGD: plain, momentum and Nesterov equal tf.train.sgd / tf.train.momentum', () => {
    // TF.js keeps accum ← μ·accum + g and steps -lr·accum (Nesterov: -lr·(g + μ·accum)); Keras keeps
    // v = -lr·accum. The same update for a constant learning rate.
    fc.assert(fc.property(hyper, ({ seed, learningRate, momentum }) => {
      const run = makeRun(seed);
      expectSameTrajectory(ourTrajectory(new SGD({ learningRate }), run), tfjsTrajectory(tf.train.sgd(learningRate), run), TRAJ_TOL, 'sgd');
      expectSameTrajectory(ourTrajectory(new SGD({ learningRate, momentum }), run), tfjsTrajectory(tf.train.momentum(learningRate, momentum, false), run), TRAJ_TOL, 'momentum');
      expectSameTrajectory(ourTrajectory(new SGD({ learningRate, momentum, nesterov: true }), run), tfjsTrajectory(tf.train.momentum(learningRate, momentum, true), run), TRAJ_TOL, 'nesterov');
    }), { seed: 511, numRuns: 15 });
  });

  // Adam. Keras 2 (ours): w -= lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε).
  // TF.js: w -= lr · m̂ / (sqrt(v̂) + ε), m̂ = m/(1-β1^t), v̂ = v/(1-β2^t): the Keras step with ε
  // replaced by ε·sqrt(1-β2^t). The forms differ by design wherever sqrt(v) is comparable to ε.
  const adamReference = (lr: number, b1: number, b2: number, eps: number) => (w: number, g: number, s: number[], t: number): number => {
    s[0] = b1 * s[0] + (1 - b1) * g;
    s[1] = b2 * s[1] + (1 - b2) * g * g;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    return w - (lrT * s[0]) / (Math.sqrt(s[1]) + eps);
  };

  it('Adam: equals the Keras form computed independently here (ε = 1e-7, any gradient size)', () => {
    fc.assert(fc.property(hyper, fc.constantFrom(0.05, 0), ({ seed, learningRate }, lo) => {
      const run = makeRun(seed, lo);
      const ours = ourTrajectory(new Adam({ learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }), run);
      expectSameTrajectory(ours, referenceTrajectory(run, 2, adamReference(learningRate, 0.9, 0.999, 1e-7)), TRAJ_TOL, 'adam vs Keras form');
    }), { seed: 512, numRuns: 15 });
  });

  it('Adam: equals tf.train.adam where ε is negligible against sqrt(v) (gradients >= 0.05)', () => {
    fc.assert(fc.property(hyper, ({ seed, learningRate }) => {
      const run = makeRun(seed);
      const ours = ourTrajectory(new Adam({ learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }), run);
      expectSameTrajectory(ours, tfjsTrajectory(tf.train.adam(learningRate, 0.9, 0.999, 1e-7), run), TRAJ_TOL, 'adam vs TF.js');
    }), { seed: 513, numRuns: 15 });
  });

  it('Adam: with gradients near ε the TF.js form departs from Keras, and ours follows Keras', () => {
    const run = makeRun(9, 1e-8, 3e-8); // |g| ~ ε: sqrt(v) ~ 3e-2·|g| << ε after step 1
    const lr = 0.01;
    const ours = ourTrajectory(new Adam({ learningRate: lr, epsilon: 1e-7 }), run);
    const keras = referenceTrajectory(run, 2, adamReference(lr, 0.9, 0.999, 1e-7));
    const tfjs = tfjsTrajectory(tf.train.adam(lr, 0.9, 0.999, 1e-7), run);
    expectSameTrajectory(ours, keras, TRAJ_TOL, 'adam, tiny gradients, vs Keras form');
    expect(() => expectSameTrajectory(ours, tfjs, TRAJ_TOL, 'adam, tiny gradients, vs TF.js')).toThrow(/step 1, param 0/);
  });

  // RMSprop. Ours is Keras 3's: lr·g / sqrt(d + ε), d = ms (centered: ms - mg²), see
  // src/optim/rmsprop.ts. TF.js computes the same without centering; centered, it takes
  // sqrt(ms - mg² - ε) (TF.js 4.22 subtracts ε there: `sub(ms, add(square(mg), ε))`), so centered
  // runs are compared with TF.js at ε = 1e-12, where either sign of ε vanishes in float32; the
  // Keras form itself is checked against the formula written out here (and against Keras 3.15 in
  // test/keras-reference.test.ts).
  const rmspropReference = (lr: number, rho: number, mu: number, eps: number, centered: boolean) => (w: number, g: number, s: number[]): number => {
    s[0] = rho * s[0] + (1 - rho) * g * g; // ms
    let d = s[0];
    if (centered) {
      s[2] = rho * s[2] + (1 - rho) * g; // mg
      d = Math.max(s[0] - s[2] * s[2], 0);
    }
    const step = (lr * g) / Math.sqrt(d + eps);
    if (mu > 0) {
      s[1] = mu * s[1] + step; // mom
      return w - s[1];
    }
    return w - step;
  };

  const variants = [
    { momentum: 0, centered: false },
    { momentum: 0.9, centered: false },
    { momentum: 0, centered: true },
    { momentum: 0.5, centered: true },
  ];

  it.each(variants)('RMSprop momentum $momentum centered $centered: equals the Keras form (ε = 1e-7) and tf.train.rmsprop (bit for bit without centering)', ({ momentum, centered }) => {
    fc.assert(fc.property(hyper, ({ seed, learningRate }) => {
      const run = makeRun(seed);
      const rho = 0.9;
      const keras = ourTrajectory(new RMSprop({ learningRate, rho, momentum, centered, epsilon: 1e-7 }), run);
      expectSameTrajectory(keras, referenceTrajectory(run, 3, rmspropReference(learningRate, rho, momentum, 1e-7, centered)), TRAJ_TOL, 'rmsprop vs Keras form');
      if (centered) {
        const tiny = ourTrajectory(new RMSprop({ learningRate, rho, momentum, centered, epsilon: 1e-12 }), run);
        expectSameTrajectory(tiny, tfjsTrajectory(tf.train.rmsprop(learningRate, rho, momentum, 1e-12, centered), run), TRAJ_TOL, 'rmsprop vs TF.js');
      } else {
        // Both compute in float32, one rounding per operation in the same order: the same bits.
        expect(keras).toEqual(tfjsTrajectory(tf.train.rmsprop(learningRate, rho, momentum, 1e-7, centered), run));
      }
    }), { seed: 514, numRuns: 8 });
  });

  it('RMSprop: with ms below ε (tiny gradients) ours still equals tf.train.rmsprop bit for bit (ε inside the root in both), and tf.keras 2\'s sqrt(ms) + ε visibly differs', () => {
    const run = makeRun(11, 1e-4, 3e-4); // ms ~ 1e-8 < ε
    const ours = ourTrajectory(new RMSprop({ learningRate: 0.01, epsilon: 1e-7 }), run);
    const tfjs = tfjsTrajectory(tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false), run);
    expectSameTrajectory(ours, referenceTrajectory(run, 3, rmspropReference(0.01, 0.9, 0, 1e-7, false)), TRAJ_TOL, 'rmsprop vs Keras form');
    expect(ours).toEqual(tfjs); // bit for bit
    const kerasTwo = (w: number, g: number, s: number[]): number => {
      s[0] = 0.9 * s[0] + 0.1 * g * g;
      return w - (0.01 * g) / (Math.sqrt(s[0]) + 1e-7);
    };
    expect(() => expectSameTrajectory(ours, referenceTrajectory(run, 1, kerasTwo), TRAJ_TOL, 'rmsprop vs tf.keras 2')).toThrow(/step 1, param 0/);
  });
});

// Guard the oracle: the helper copies weights into TF.js exactly (a byte copy).
it('the TF.js copy holds our weights bit for bit', async () => {
  await initTf();
  const spec: ModelSpec = {
    batch: 2, timeSteps: 2, inputDim: 3, stateful: false,
    lstms: [{ units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, returnSequences: false }],
    dense: { units: 2, activation: 'softmax', useBias: true }, loss: 'categoricalCrossentropy',
  };
  const ours = buildOurs(spec, rng(5));
  const theirs = buildTfjs(spec, ours.getWeights());
  try {
    const copied = theirs.getWeights().map((w) => tensor(w.dataSync() as Float32Array, w.shape));
    ours.getWeights().forEach((w, i) => expect(Array.from(copied[i].data)).toEqual(Array.from(w.data)));
  } finally {
    theirs.dispose();
  }
});
