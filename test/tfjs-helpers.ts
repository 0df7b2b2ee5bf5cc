/**
 * Shared helpers for test/tfjs-*.test.ts (not a test file itself): TensorFlow.js as an
 * independent oracle.
 *
 *   - `initTf()`: TF.js on its pure-JS 'cpu' backend (tfjs-node cannot install here);
 *   - `ModelSpec`: one description of a Sequential stack, built on both sides with every option
 *     explicit (`buildOurs`, `buildTfjs`): TF.js's LSTM defaults differ from Keras' and ours
 *     (hardSigmoid, glorotNormal kernel, no unit forget bias), so nothing is left to a default;
 *   - a private generator for weights and data (never touches the library's setSeed stream);
 *   - comparisons that report the worst entry (`expectClose`, `expectNear`).
 *
 * Shapes: B batch, T time steps, I input features, H units.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Dense, LSTM, SGD, Sequential, Tensor, getLoss, tensor, type DenseActivation, type Layer } from '../src/index.js';
import type { LSTMActivation, LSTMRecurrentActivation } from '../src/layers/lstm.js';
import { mulberry32 } from './helpers/random.js';

export { tf };

let ready: Promise<void> | undefined;

/** Select TF.js's 'cpu' backend once per test file; silence its "install tfjs-node" banner. */
export function initTf(): Promise<void> {
  ready ??= (async () => {
    tf.env().set('PROD', true); // tfjs-core's warn() is silent in PROD mode
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return ready;
}

// ---------------------------------------------------------------------------------------------
// A private generator (mulberry32)
// ---------------------------------------------------------------------------------------------

/** Seeded test data (mulberry32, seed 0 read as 1). */
export function rng(seed: number): () => number {
  return mulberry32((seed >>> 0) || 1);
}

/** float32 values uniform in [lo, hi). */
export function uniform(shape: number[], next: () => number, lo = -1, hi = 1): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * next();
  return tensor(data, shape);
}

// ---------------------------------------------------------------------------------------------
// One model description, two engines
// ---------------------------------------------------------------------------------------------

export type LossName = 'meanSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

export interface LSTMSpec {
  units: number;
  activation: LSTMActivation;
  recurrentActivation: Exclude<LSTMRecurrentActivation, 'hardSigmoidKeras3'>; // TF.js has Keras 2's hard sigmoid only
  useBias: boolean;
  returnSequences: boolean;
}

export interface DenseSpec {
  units: number;
  activation: Exclude<DenseActivation, 'hardSigmoidKeras3'>;
  useBias: boolean;
}

export interface ModelSpec {
  batch: number; //      B
  timeSteps: number; //  T
  inputDim: number; //   I
  stateful: boolean;
  lstms: LSTMSpec[]; //  one or two (a stack: every LSTM but the last has returnSequences)
  dense: DenseSpec | null;
  loss: LossName;
}

/** The output shape of the whole stack for a batch of B. */
export function outputShape(spec: ModelSpec): number[] {
  const last = spec.lstms[spec.lstms.length - 1];
  const sequence = last.returnSequences;
  const width = spec.dense ? spec.dense.units : last.units;
  return sequence ? [spec.batch, spec.timeSteps, width] : [spec.batch, width];
}

function inputOptions(spec: ModelSpec): { batchInputShape: number[] } | { inputShape: number[] } {
  return spec.stateful ? { batchInputShape: [spec.batch, spec.timeSteps, spec.inputDim] } : { inputShape: [spec.timeSteps, spec.inputDim] };
}

/**
 * Our model, float32, with random weights (biases included) uniform in [-scale, scale] drawn
 * from `next`, compiled with the spec's loss.
 */
export function buildOurs(spec: ModelSpec, next: () => number, scale = 0.5): Sequential {
  const layers: Layer[] = spec.lstms.map((l, k) => new LSTM({
    name: `lstm_${k + 1}`,
    units: l.units,
    activation: l.activation,
    recurrentActivation: l.recurrentActivation,
    useBias: l.useBias,
    kernelInitializer: 'glorotUniform',
    recurrentInitializer: 'orthogonal',
    biasInitializer: 'zeros',
    unitForgetBias: true,
    returnSequences: l.returnSequences,
    stateful: spec.stateful,
    dtype: 'float32',
    ...(k === 0 ? inputOptions(spec) : {}),
  }));
  if (spec.dense) {
    layers.push(new Dense({ name: 'dense_1', units: spec.dense.units, activation: spec.dense.activation, useBias: spec.dense.useBias, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', dtype: 'float32' }));
  }
  const model = new Sequential(layers, { dtype: 'float32' });
  model.build();
  model.setWeights(model.getWeights().map((w) => uniform([...w.shape], next, -scale, scale)));
  model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: spec.loss });
  return model;
}

/**
 * The same stack in TF.js, every option explicit (TF.js would otherwise pick hardSigmoid, a
 * glorot-normal kernel and no unit forget bias); then our weights are copied in.
 */
export function buildTfjs(spec: ModelSpec, weights: Tensor[]): tf.Sequential {
  const model = tf.sequential();
  spec.lstms.forEach((l, k) => {
    model.add(tf.layers.lstm({
      name: `lstm_${k + 1}`,
      units: l.units,
      activation: l.activation,
      recurrentActivation: l.recurrentActivation,
      useBias: l.useBias,
      kernelInitializer: 'glorotUniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      unitForgetBias: true,
      returnSequences: l.returnSequences,
      returnState: false,
      goBackwards: false,
      stateful: spec.stateful,
      unroll: false,
      dropout: 0,
      recurrentDropout: 0,
      dtype: 'float32',
      ...(k === 0 ? inputOptions(spec) : {}),
    }));
  });
  if (spec.dense) {
    model.add(tf.layers.dense({ name: 'dense_1', units: spec.dense.units, activation: spec.dense.activation, useBias: spec.dense.useBias, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', dtype: 'float32' }));
  }
  model.setWeights(weights.map((w) => tf.tensor(w.data, [...w.shape], 'float32')));
  return model;
}

type TfjsLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
const tfjsLosses = new Map<LossName, TfjsLoss>();

/**
 * TF.js's own loss function for a name, exactly as its `compile` resolves it (per-sample values;
 * the caller takes the mean). A Sequential hides its compiled model, so a one-layer functional
 * model is compiled once per loss to read `lossFunctions[0]`.
 */
export function tfjsLoss(name: LossName): TfjsLoss {
  let fn = tfjsLosses.get(name);
  if (fn === undefined) {
    const input = tf.input({ shape: [1] });
    const probe = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor });
    probe.compile({ optimizer: 'sgd', loss: name });
    fn = probe.lossFunctions[0] as TfjsLoss;
    tfjsLosses.set(name, fn);
  }
  return fn;
}

/** Targets suited to the loss, for predictions of the given shape. */
export function randomTargets(loss: LossName, predictionShape: number[], next: () => number): Tensor {
  const width = predictionShape[predictionShape.length - 1];
  const lead = predictionShape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  switch (loss) {
    case 'meanSquaredError':
      return uniform(predictionShape, next);
    case 'binaryCrossentropy':
      return uniform(predictionShape, next, 0, 1); // soft targets in [0, 1)
    case 'categoricalCrossentropy': {
      const data = new Float32Array(rows * width); // soft rows summing to 1
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let j = 0; j < width; j++) sum += data[r * width + j] = 0.05 + next();
        for (let j = 0; j < width; j++) data[r * width + j] /= sum;
      }
      return tensor(data, predictionShape);
    }
    case 'sparseCategoricalCrossentropy': {
      const data = new Float32Array(rows);
      for (let r = 0; r < rows; r++) data[r] = Math.floor(next() * width);
      return tensor(data, lead);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One batch through each engine: output, loss, dL/dweights, dL/dx
// ---------------------------------------------------------------------------------------------

export interface Figures {
  output: Float32Array | Float64Array;
  loss: number;
  /** dL/dweights in getWeights() order. */
  weightGrads: (Float32Array | Float64Array)[];
  /** dL/dx [B, T, I]; undefined where not computed. */
  inputGrad?: Float32Array | Float64Array;
}

/**
 * Ours: weight gradients from the model's public computeGradients; the input gradient and the
 * output by running the same chain layer by layer (forward, the loss, backward in reverse),
 * since the model does not hand out dL/dx.
 */
export function ourFigures(model: Sequential, x: Tensor, y: Tensor): Figures {
  const { loss, grads } = model.computeGradients(x, y); // leaves carried states as they were
  const layers = model.layers;
  let h = x;
  for (const layer of layers) h = layer.forward(h, { training: true });
  const lossFn = getLoss(model.loss!.name);
  const last = layers[layers.length - 1];
  const fused = last instanceof Dense && lossFn.fromLogits ? lossFn.fromLogits(last.activation) : undefined;
  let grad: Tensor;
  if (fused && last instanceof Dense) {
    grad = last.backwardFromLogits(fused(last.getLogits(), y).grad);
  } else {
    grad = last.backward(lossFn.compute(h, y).grad);
  }
  for (let i = layers.length - 2; i >= 0; i--) grad = layers[i].backward(grad);
  return { output: h.data, loss, weightGrads: grads.map((g) => g.data), inputGrad: grad.data };
}

/** TF.js's figures: weight gradients not computed (see tfjsFigures) are undefined. */
export type TfjsFigures = Omit<Figures, 'weightGrads'> & { weightGrads: (Float32Array | Float64Array | undefined)[] };

/**
 * TF.js: one `apply` under `tf.variableGrads`, which yields the output, the loss and every
 * requested gradient of that single call (a stateful model advances its state once, as ours does).
 *
 * TF.js 4.22 cannot differentiate through the input of an LSTM run for a single time step (the
 * gradient of its `unstack` calls `stack` on a list holding a null, and throws). With T = 1 the
 * input gradient is therefore left out, and so are the weights of every layer below the last LSTM
 * (their gradient would pass through that LSTM's input): `firstLayer` says which layers'
 * weight gradients to compute; the others come back undefined.
 */
/**
 * TF.js' outputs, loss and gradients for (x, y). `unmaskedRows` ([B, T] of 1 and 0), for sequence
 * outputs with masked steps: the loss is Keras' masked mean, Σ w·ℓ / Σ w over the rows, written
 * out here because TF.js' own training averages over every step (see the agreement test).
 */
export function tfjsFigures(model: tf.Sequential, loss: LossName, x: Tensor, y: Tensor, withInputGrad: boolean, firstLayer = 0, unmaskedRows?: number[][]): TfjsFigures {
  const xs = tf.variable(tf.tensor(x.data, [...x.shape], 'float32'), withInputGrad);
  const ys = tf.tensor(y.data, [...y.shape], 'float32');
  const weightVars = model.layers.flatMap((layer, k) => layer.trainableWeights.map((w) => ({ v: w.read() as tf.Variable, wanted: k >= firstLayer })));
  const wanted = weightVars.filter((w) => w.wanted).map((w) => w.v);
  const vars = withInputGrad ? [...wanted, xs] : wanted;
  let kept: tf.Tensor | undefined;
  const lossFn = tfjsLoss(loss);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(xs, { training: true }) as tf.Tensor;
    kept = tf.keep(out);
    const rowLosses = lossFn(ys, out); // [B] or [B, T]
    if (unmaskedRows === undefined) return tf.mean(rowLosses) as tf.Scalar; // Keras' reduction: the mean over every sample (and step)
    const w = tf.tensor(unmaskedRows, undefined, 'float32');
    return tf.div(tf.sum(tf.mul(rowLosses, w)), tf.sum(w)) as tf.Scalar; // Keras with a mask: the mean over the unmasked steps
  }, vars);
  const figures: TfjsFigures = {
    output: kept!.dataSync() as Float32Array,
    loss: value.dataSync()[0],
    weightGrads: weightVars.map((w) => (w.wanted ? (grads[w.v.name].dataSync() as Float32Array) : undefined)),
    inputGrad: withInputGrad ? (grads[xs.name].dataSync() as Float32Array) : undefined,
  };
  tf.dispose([xs, ys, kept!, value, ...Object.values(grads)]);
  return figures;
}

// ---------------------------------------------------------------------------------------------
// Comparisons that name the worst entry
// ---------------------------------------------------------------------------------------------

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/** |actual - expected| <= tol · max(1, max|expected|) everywhere (forward outputs). */
export function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const bound = tol * Math.max(1, maxAbs(expected));
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worstDiff)) {
      worstDiff = d;
      worst = i;
    }
  }
  if (!(worstDiff <= bound)) {
    expect.fail(`${label}: entry ${worst}: ours ${actual[worst]}, TF.js ${expected[worst]}, |diff| ${worstDiff} > ${bound}`);
  }
}

/**
 * Relative agreement with a floor: |a - e| <= rel · max(|e|, floor · max|e|) everywhere, so an
 * entry that is tiny only through cancellation is judged against the tensor's own scale
 * (float32 sums of T·B terms carry an absolute error proportional to the terms, not to the sum).
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, floor: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const scale = Math.max(floor * maxAbs(expected), 1e-30);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), scale);
    if (!(err <= worstErr)) {
      worstErr = err;
      worst = i;
    }
  }
  if (!(worstErr <= rel)) {
    expect.fail(`${label}: entry ${worst}: ours ${actual[worst]}, reference ${expected[worst]}, relative error ${worstErr} > ${rel} (floor ${scale})`);
  }
}
