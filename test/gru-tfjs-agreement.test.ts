/**
 * Agreement with TensorFlow.js 4.22 (its pure-JS 'cpu' backend, float32) for the layers it has as
 * Keras computes them: SimpleRNN, and GRU with resetAfter: false (TF.js has no resetAfter: true,
 * tfjs issues 5728 and 4621; Keras' own values check that one, test/gru-keras-reference.test.ts).
 *
 * Random configurations drawn by fast-check: units 1–9, input 1–6, time steps 2–6, batch 1–4,
 * returnSequences, goBackwards, with and without bias, tanh / relu / linear activations, sigmoid
 * and hardSigmoid (Keras 2's, TF.js') gates for the GRU; then RNN -> Dense(2), MSE. Compared: the
 * output, the loss, every weight gradient and dL/dx; stateful layers over two consecutive batches.
 * Tolerances as test/tfjs-agreement.test.ts: outputs and losses 1e-5 · max(1, max|TF.js|);
 * gradients relative 1e-4 with a floor of 1% of the tensor's largest entry. (Time steps start at
 * 2: TF.js 4.22 cannot differentiate through the input of a one-step recurrent layer.)
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { Dense, GRU, SGD, Sequential, SimpleRNN, type Layer } from '../src/index.js';
import { expectClose, expectNear, initTf, ourFigures, rng, tf, tfjsFigures, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

const OUTPUT_TOL = 1e-5;
const GRAD_REL = 1e-4;
const GRAD_FLOOR = 1e-2;

interface Spec {
  kind: 'gru' | 'simpleRnn';
  units: number;
  inputDim: number;
  timeSteps: number;
  batch: number;
  returnSequences: boolean;
  goBackwards: boolean;
  stateful: boolean;
  useBias: boolean;
  activation: 'tanh' | 'relu' | 'linear';
  recurrentActivation: 'sigmoid' | 'hardSigmoid';
}

function build(spec: Spec, next: () => number): { ours: Sequential; theirs: tf.Sequential } {
  const shape = { batchInputShape: [spec.batch, spec.timeSteps, spec.inputDim] };
  const common = { units: spec.units, returnSequences: spec.returnSequences, goBackwards: spec.goBackwards, stateful: spec.stateful, useBias: spec.useBias, activation: spec.activation };
  const rnn: Layer = spec.kind === 'gru' ? new GRU({ ...common, ...shape, resetAfter: false, recurrentActivation: spec.recurrentActivation }) : new SimpleRNN({ ...common, ...shape });
  const ours = new Sequential([rnn, new Dense({ units: 2 })]);
  ours.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
  ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.7, 0.7)));
  const tfCommon = { ...common, ...shape, kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  const theirRnn = spec.kind === 'gru'
    ? tf.layers.gru({ ...tfCommon, recurrentActivation: spec.recurrentActivation }) // TF.js' GRU is resetAfter false only
    : tf.layers.simpleRNN(tfCommon);
  const theirs = tf.sequential({ layers: [theirRnn, tf.layers.dense({ units: 2 })] });
  theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape], 'float32')));
  return { ours, theirs };
}

function checkAgreement(spec: Spec, seed: number): void {
  const next = rng(seed);
  const { ours, theirs } = build(spec, next);
  const names = ours.weightNames;
  try {
    for (let batch = 1; batch <= (spec.stateful ? 2 : 1); batch++) {
      const where = `spec ${JSON.stringify(spec)} seed ${seed}, batch ${batch}`;
      const x = uniform([spec.batch, spec.timeSteps, spec.inputDim], next);
      const y = uniform(spec.returnSequences ? [spec.batch, spec.timeSteps, 2] : [spec.batch, 2], next);
      const a = ourFigures(ours, x, y);
      const b = tfjsFigures(theirs, 'meanSquaredError', x, y, true);
      expectNear(a.output, b.output, OUTPUT_TOL, `${where}: output`);
      expectNear([a.loss], [b.loss], OUTPUT_TOL, `${where}: loss`);
      a.weightGrads.forEach((g, i) => expectClose(g, b.weightGrads[i]!, GRAD_REL, GRAD_FLOOR, `${where}: dL/d${names[i]} (${i})`));
      expectClose(a.inputGrad!, b.inputGrad!, GRAD_REL, GRAD_FLOOR, `${where}: dL/dx`);
      // Both engines advance a stateful layer's state once per batch: our forward did (ourFigures
      // ran it once more than computeGradients, which restores it), TF.js' apply did too.
    }
  } finally {
    theirs.layers.forEach((l) => l.dispose());
  }
}

const specs = (kind: Spec['kind']): fc.Arbitrary<Spec> => fc.record({
  kind: fc.constant(kind),
  units: fc.integer({ min: 1, max: 9 }),
  inputDim: fc.integer({ min: 1, max: 6 }),
  timeSteps: fc.integer({ min: 2, max: 6 }),
  batch: fc.integer({ min: 1, max: 4 }),
  returnSequences: fc.boolean(),
  goBackwards: fc.boolean(),
  stateful: fc.boolean(),
  useBias: fc.boolean(),
  activation: fc.constantFrom('tanh' as const, 'relu' as const, 'linear' as const),
  recurrentActivation: fc.constantFrom('sigmoid' as const, 'hardSigmoid' as const),
});

describe('TF.js 4.22 agreement (float32)', () => {
  it('GRU resetAfter: false: outputs, loss, every weight gradient and dL/dx over random configurations', () => {
    fc.assert(fc.property(specs('gru'), fc.integer({ min: 1, max: 1e6 }), (spec, seed) => checkAgreement(spec, seed)), { numRuns: 40, seed: 31 });
  });
  it('SimpleRNN: outputs, loss, every weight gradient and dL/dx over random configurations', () => {
    fc.assert(fc.property(specs('simpleRnn'), fc.integer({ min: 1, max: 1e6 }), (spec, seed) => checkAgreement(spec, seed)), { numRuns: 40, seed: 32 });
  });
  it('the comparison would see a GRU variant mix-up: Keras resetAfter true weights (no bias) give other outputs than TF.js', () => {
    const spec: Spec = { kind: 'gru', units: 4, inputDim: 3, timeSteps: 5, batch: 2, returnSequences: true, goBackwards: false, stateful: false, useBias: false, activation: 'tanh', recurrentActivation: 'sigmoid' };
    const next = rng(5);
    const { ours, theirs } = build(spec, next);
    const after = new Sequential([new GRU({ units: 4, useBias: false, returnSequences: true, resetAfter: true, inputShape: [5, 3] }), new Dense({ units: 2 })]);
    after.setWeights(ours.getWeights());
    const x = uniform([2, 5, 3], next);
    const theirsOut = (theirs.predict(tf.tensor(x.data, [2, 5, 3])) as tf.Tensor).dataSync();
    const diff = Math.max(...Array.from(after.predict(x).data, (v, i) => Math.abs(v - theirsOut[i])));
    if (!(diff > 1e-3)) throw new Error(`resetAfter true matched TF.js' GRU to ${diff}`);
  });
});
