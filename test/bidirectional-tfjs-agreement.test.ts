/**
 * Bidirectional against TensorFlow.js 4.22 (its pure-JS 'cpu' backend, float32), without masks
 * (TF.js does not pass a mask through Bidirectional, tfjs issue 2279: the masked figures are
 * Keras 3's own, test/bidirectional-keras-reference.test.ts).
 *
 * 1. Random configurations drawn by fast-check: LSTM, GRU (resetAfter false, TF.js' only one) or
 *    SimpleRNN inside, units 1–6, input 1–5, time steps 2–6, batch 1–3, every merge mode,
 *    returnSequences, stateful over two consecutive batches, with and without bias; then
 *    Bidirectional -> Dense(2), MSE. Compared: the output, the loss, every weight gradient and
 *    dL/dx. Tolerances as test/tfjs-agreement.test.ts: outputs and losses 1e-5 · max(1, max|TF.js|);
 *    gradients relative 1e-4 with a floor of 1% of the tensor's largest entry.
 * 2. The TF.js Layers format both ways: a model written here loads in TF.js and predicts the same;
 *    a model TF.js saves loads here with its weights bit for bit (weight names matched, not their order).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bidirectional, Dense, GRU, LSTM, SGD, Sequential, SimpleRNN, fromTfjsArtifacts, toTfjsArtifacts, type BidirectionalMergeMode, type RNN } from '../src/index.js';
import { expectClose, expectNear, initTf, ourFigures, rng, tf, tfjsFigures, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

const OUTPUT_TOL = 1e-5;
const GRAD_REL = 1e-4;
const GRAD_FLOOR = 1e-2;

interface Spec {
  kind: 'lstm' | 'gru' | 'simpleRnn';
  units: number;
  inputDim: number;
  timeSteps: number;
  batch: number;
  mergeMode: BidirectionalMergeMode;
  returnSequences: boolean;
  stateful: boolean;
  useBias: boolean;
}

function build(spec: Spec, next: () => number): { ours: Sequential; theirs: tf.Sequential } {
  const shape = { batchInputShape: [spec.batch, spec.timeSteps, spec.inputDim] };
  const common = { units: spec.units, returnSequences: spec.returnSequences, stateful: spec.stateful, useBias: spec.useBias, activation: 'tanh' } as const;
  const inner: RNN = spec.kind === 'lstm' ? new LSTM({ ...common, recurrentActivation: 'sigmoid' })
    : spec.kind === 'gru' ? new GRU({ ...common, recurrentActivation: 'sigmoid', resetAfter: false })
      : new SimpleRNN(common);
  const ours = new Sequential([new Bidirectional(inner, { mergeMode: spec.mergeMode, ...shape }), new Dense({ units: 2 })]);
  ours.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
  ours.setWeights(ours.getWeights().map((w) => uniform([...w.shape], next, -0.7, 0.7)));
  const tfCommon = { ...common, kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  const layer = spec.kind === 'lstm' ? tf.layers.lstm({ ...tfCommon, recurrentActivation: 'sigmoid', unitForgetBias: false })
    : spec.kind === 'gru' ? tf.layers.gru({ ...tfCommon, recurrentActivation: 'sigmoid' })
      : tf.layers.simpleRNN(tfCommon);
  const theirs = tf.sequential({ layers: [tf.layers.bidirectional({ layer: layer as never, mergeMode: spec.mergeMode, ...shape }), tf.layers.dense({ units: 2 })] });
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
    }
  } finally {
    theirs.layers.forEach((l) => l.dispose());
  }
}

const specs: fc.Arbitrary<Spec> = fc.record({
  kind: fc.constantFrom('lstm' as const, 'gru' as const, 'simpleRnn' as const),
  units: fc.integer({ min: 1, max: 6 }),
  inputDim: fc.integer({ min: 1, max: 5 }),
  timeSteps: fc.integer({ min: 2, max: 6 }),
  batch: fc.integer({ min: 1, max: 3 }),
  mergeMode: fc.constantFrom('concat' as const, 'sum' as const, 'mul' as const, 'ave' as const),
  returnSequences: fc.boolean(),
  stateful: fc.boolean(),
  useBias: fc.boolean(),
});

/** TF.js's own save, captured in memory (what tf.io.withSaveHandler hands over). */
async function saveFromTfjs(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return captured!;
}

describe('TF.js 4.22 agreement (float32): Bidirectional', () => {
  it('outputs, loss, every weight gradient and dL/dx over random configurations (every merge mode, stateful over two batches)', () => {
    fc.assert(fc.property(specs, fc.integer({ min: 1, max: 1e6 }), (spec, seed) => checkAgreement(spec, seed)), { numRuns: 40, seed: 26 });
  });

  it('the comparison would see a merge mix-up: sum weights run as ave differ from TF.js', () => {
    const spec: Spec = { kind: 'lstm', units: 3, inputDim: 2, timeSteps: 4, batch: 2, mergeMode: 'sum', returnSequences: true, stateful: false, useBias: true };
    const next = rng(9);
    const { ours, theirs } = build(spec, next);
    const ave = new Sequential([new Bidirectional(new LSTM({ units: 3, returnSequences: true }), { mergeMode: 'ave', inputShape: [4, 2] }), new Dense({ units: 2 })]);
    ave.setWeights(ours.getWeights());
    const x = uniform([2, 4, 2], next);
    const theirsOut = (theirs.predict(tf.tensor(x.data, [2, 4, 2])) as tf.Tensor).dataSync();
    const diff = Math.max(...Array.from(ave.predict(x).data, (v, i) => Math.abs(v - theirsOut[i])));
    expect(diff).toBeGreaterThan(1e-3);
  });

  it('a model written here loads in TF.js and predicts the same; TF.js reads the nested layer config', async () => {
    const next = rng(3);
    for (const kind of ['lstm', 'gru', 'simpleRnn'] as const) {
      const { ours } = build({ kind, units: 3, inputDim: 2, timeSteps: 4, batch: 2, mergeMode: 'concat', returnSequences: true, stateful: false, useBias: true }, next);
      const artifacts = toTfjsArtifacts(ours);
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as never));
      expect(theirs.layers[0].getClassName()).toBe('Bidirectional');
      const x = uniform([2, 4, 2], next);
      const theirsOut = (theirs.predict(tf.tensor(x.data, [2, 4, 2])) as tf.Tensor).dataSync();
      expectNear(ours.predict(x).data, theirsOut, OUTPUT_TOL, `${kind}: TF.js' predictions of the model written here`);
      // And back: the artifacts read here give the same model, weights bit for bit.
      const back = fromTfjsArtifacts(artifacts);
      back.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(ours.getWeights()[i].data)));
      expect(back.weightNames).toEqual(ours.weightNames);
      theirs.layers.forEach((l) => l.dispose());
    }
  });

  it("a model TF.js saves loads here, its weights matched by name, and predicts as TF.js does", async () => {
    const next = rng(4);
    const theirs = tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid', unitForgetBias: true }) as never, mergeMode: 'mul', inputShape: [4, 2] }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, recurrentActivation: 'sigmoid' }) as never, mergeMode: 'ave' }),
      tf.layers.dense({ units: 2 }),
    ] });
    theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(uniform([...w.shape], next, -0.7, 0.7).data, w.shape)));
    const artifacts = await saveFromTfjs(theirs);
    const ours = fromTfjsArtifacts(artifacts as never);
    const their = theirs.getWeights().map((w) => Array.from(w.dataSync()));
    ours.getWeights().forEach((w, i) => expect(Array.from(w.data), ours.weightNames[i]).toEqual(their[i]));
    const x = uniform([3, 4, 2], next);
    expectNear(ours.predict(x).data, (theirs.predict(tf.tensor(x.data, [3, 4, 2])) as tf.Tensor).dataSync(), OUTPUT_TOL, "TF.js' model read here");
    expect((ours.layers[0] as Bidirectional).mergeMode).toBe('mul');
    theirs.layers.forEach((l) => l.dispose());
  });

  it('a backwardLayer of its own is written as Keras writes it (backward_layer), which TF.js 4.22 does not have: tf.loadLayersModel refuses the model rather than load another', async () => {
    const m = new Sequential([
      new Bidirectional(new LSTM({ units: 3, returnSequences: true }), { backwardLayer: new LSTM({ units: 3, returnSequences: true, goBackwards: true, activation: 'relu', name: 'own_backward' }), inputShape: [5, 2] }),
      new Dense({ units: 1 }),
    ]);
    const artifacts = toTfjsArtifacts(m);
    const written = artifacts.modelTopology.config.layers[0].config;
    expect((written.backward_layer as { config: { name: string; activation: string; go_backwards: boolean } }).config).toMatchObject({ name: 'own_backward', activation: 'relu', go_backwards: true });
    await expect(tf.loadLayersModel(tf.io.fromMemory(artifacts as never))).rejects.toThrow(/own_backward\/kernel/);
    // lstm-ts reads it back as it was.
    const back = fromTfjsArtifacts(artifacts);
    expect((back.layers[0] as Bidirectional).backwardLayer.getConfig()).toEqual((m.layers[0] as Bidirectional).backwardLayer.getConfig());
    // The mirror (no backwardLayer given) is written without one, as TF.js writes it.
    expect('backwardLayer' in build({ kind: 'gru', units: 2, inputDim: 2, timeSteps: 3, batch: 1, mergeMode: 'sum', returnSequences: false, stateful: false, useBias: true }, rng(1)).ours.layers[0].getConfig().config).toBe(true); // lstm-ts' own JSON: always, as Keras 3
    expect('backward_layer' in toTfjsArtifacts(build({ kind: 'gru', units: 2, inputDim: 2, timeSteps: 3, batch: 1, mergeMode: 'sum', returnSequences: false, stateful: false, useBias: true }, rng(1)).ours).modelTopology.config.layers[0].config).toBe(false);
  });
});
