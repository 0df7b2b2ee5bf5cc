/**
 * gradCheck: compare a layer's (or a loss's) analytic gradients with central finite differences.
 *
 *   const lstm = new LSTM({ units: 3, returnSequences: true, dtype: 'float64' });
 *   const result = gradCheck({ layer: lstm, input: x });
 *   result.maxRelativeError   // < 1e-6 for a correct layer
 *   result.worst              // { argument: 'lstm_1/recurrent_kernel', index: [2, 7], analytic, numeric, ... }
 *
 * For a layer, the scalar checked is L = Σ y ⊙ r with a fixed random r (or the given
 * `outputGradient`), so dL/dy = r exercises every output. Every weight entry and every input
 * entry is perturbed (but not those of masked steps, below). A stateful layer is restored to its
 * carried state before every forward, so the check measures gradients of one batch from a fixed
 * initial state (what BPTT computes), and the layer's state and weights are left exactly as they
 * were.
 *
 * Masking: for a layer with a non-null `maskValue` (an LSTM), the input entries of masked steps
 * (a sample's step whose features ALL equal maskValue) are NOT perturbed: nudging one of them
 * off maskValue would un-mask the step, a jump in L rather than its slope, and report a false
 * failure. Their analytic gradient is 0 by definition (a masked step adds nothing and gets
 * dx = 0), so each is compared with an exact 0 instead; `entriesSkipped` counts them. Every
 * weight and every input entry of an unmasked step is perturbed as usual.
 */
import type { Layer } from '../layers/layer.js';
import { getLoss, type Loss } from '../losses/index.js';
import { allocate } from '../tensor/alloc.js';
import { checkOptions } from '../base/options.js';
import { Tensor, describe, formatShape, sizeOf, toTensor, type TensorLike } from '../tensor/tensor.js';
import { compareWithFiniteDifferences, type CheckedArgument, type FiniteDifferenceOptions, type GradCheckResult } from './finite-differences.js';

export interface LayerGradCheckTarget {
  layer: Layer;
  input: TensorLike;
  /** dL/dy used as the fixed projection r; random normal (seeded by `seed`) if omitted. */
  outputGradient?: TensorLike;
}

export interface GradCheckOptions extends FiniteDifferenceOptions {
  /** Seed of the private generator that draws r (the library's generator is left untouched), an integer in [0, 2**32). Default 1. Layer checks only. */
  seed?: number;
}

/**
 * The options, checked before anything runs: only known names, each of the right type and range,
 * since a bad one would not fail but make the check meaningless (epsilon 0 or NaN gives a NaN
 * error, which `err > tol` lets pass; a floor of 0 divides 0 by 0 where both gradients are 0).
 * `seed` only for a layer check, where it draws r.
 */
function checkGradCheckOptions(options: unknown, layer: boolean): Required<FiniteDifferenceOptions> & { seed: number } {
  const o = checkOptions(options, ['epsilon', 'floor', 'seed'], 'gradCheck');
  if (!layer && o.seed !== undefined) throw new TypeError("gradCheck: options.seed applies only to a { layer, input } check (it draws the projection r); a loss or model check has nothing random");
  const positive = (name: string, fallback: number): number => {
    const v = o[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`gradCheck: options.${name}: expected a finite number > 0, got ${describe(v)}`);
    }
    return v;
  };
  const seed = o.seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)) {
    throw new RangeError(`gradCheck: options.seed: expected an integer in [0, 2**32), got ${describe(seed)}`);
  }
  return { epsilon: positive('epsilon', 1e-5), floor: positive('floor', 1e-3), seed: (seed as number | undefined) ?? 1 };
}

/** The target's keys, checked like options (a typo such as `inputs` would otherwise read as missing). */
function checkTarget(target: object, names: readonly string[], required: readonly string[]): void {
  checkOptions(target, names, 'gradCheck: target');
  for (const name of required) {
    if ((target as Record<string, unknown>)[name] === undefined) throw new TypeError(`gradCheck: target.${name} is missing; a check of this kind takes { ${names.join(', ')} }`);
  }
}

export function gradCheckLayer(target: LayerGradCheckTarget, options: GradCheckOptions = {}): GradCheckResult {
  checkTarget(target, ['layer', 'input', 'outputGradient'], ['layer', 'input']);
  const checked = checkGradCheckOptions(options, true);
  const { layer } = target;
  if (layer === null || typeof layer !== 'object' || typeof (layer as Partial<Layer>).forward !== 'function') {
    throw new TypeError(`gradCheck: target.layer: expected a layer (new LSTM(...), new Dense(...)), got ${describe(layer)}`);
  }
  if (layer.dtype !== 'float64') {
    throw new TypeError(`gradCheck: layer ${layer.name} has dtype '${layer.dtype}'; expected 'float64' (float32 rounding swamps finite differences)`);
  }
  const x = toTensor(target.input, 'gradCheck: input', 'float64').clone(); // perturbed in place: our own copy
  const savedStates = layer.getStates();
  const restoreStates = (): void => {
    if (layer.stateful) layer.resetStates(savedStates);
  };

  restoreStates();
  const y = layer.forward(x, { training: true });
  const r = target.outputGradient === undefined ? randomNormalTensor(y.shape, checked.seed) : toTensor(target.outputGradient, 'gradCheck: outputGradient', 'float64');
  if (r.shape.length !== y.shape.length || r.shape.some((d, i) => d !== y.shape[i])) {
    throw new RangeError(`gradCheck: outputGradient has shape ${formatShape(r.shape)}, expected the layer's output shape ${formatShape(y.shape)}`);
  }
  const dx = layer.backward(r);
  const grads = layer.getGradients().map((g) => g.clone());

  const objective = (): number => {
    restoreStates();
    const out = layer.forward(x, { training: true }).data;
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += out[i] * r.data[i];
    return sum;
  };

  const args: CheckedArgument[] = layer.trainableWeights.map((w, i) => ({
    name: `${layer.name}/${layer.weightNames[i]}`,
    values: w.data,
    shape: w.shape,
    analytic: grads[i].data,
  }));
  args.push({ name: 'input', values: x.data, shape: x.shape, analytic: dx.data, skip: maskedInputEntries(layer, x) });
  try {
    return compareWithFiniteDifferences(args, objective, checked);
  } finally {
    restoreStates();
  }
}

export interface LossGradCheckTarget {
  loss: string | Loss;
  /** Predictions (probabilities for cross-entropy; keep them away from the 1e-7 clip). */
  yPred: TensorLike;
  yTrue: TensorLike;
}

/** What gradCheck needs of a model (a compiled Sequential is one); check knows no model class. */
export interface GradCheckModel {
  readonly name: string;
  readonly dtype: string;
  readonly weightNames: string[];
  readonly trainableWeights: Tensor[];
  /** The loss and dL/dweights (in trainableWeights order) on (x, y), leaving weights, optimizer and states untouched. */
  computeGradients(x: TensorLike, y: TensorLike): { loss: number; grads: Tensor[] };
}

export interface ModelGradCheckTarget {
  /** A compiled Sequential in float64 (`new Sequential(layers, { dtype: 'float64' })`). */
  model: GradCheckModel;
  x: TensorLike;
  y: TensorLike;
}

/**
 * Check analytic gradients against central finite differences, in float64:
 * - `{ layer, input }`: every weight and every input entry of a layer, for L = Σ y ⊙ r (with
 *   a non-null `maskValue`, the input entries of masked steps are not perturbed: their gradient
 *   is 0 by definition and is compared with 0; see gradCheckLayer above);
 * - `{ loss, yPred, yTrue }`: a loss's gradient with respect to the predictions;
 * - `{ model, x, y }`: every weight of a compiled model, for its loss on (x, y)
 *   (carried states are restored around every evaluation).
 * Returns the worst relative error |a − n| / max(|a|, |n|, floor) overall and per argument.
 */
export function gradCheck(target: LayerGradCheckTarget | LossGradCheckTarget | ModelGradCheckTarget, options: GradCheckOptions = {}): GradCheckResult {
  if (target !== null && typeof target === 'object') {
    if ('layer' in target) return gradCheckLayer(target, options);
    if ('loss' in target) return gradCheckLoss(target, options);
    if ('model' in target) return gradCheckModel(target, options);
  }
  throw new TypeError('gradCheck: expected { layer, input }, { loss, yPred, yTrue } or { model, x, y }');
}

export function gradCheckLoss(target: LossGradCheckTarget, options: FiniteDifferenceOptions = {}): GradCheckResult {
  checkTarget(target, ['loss', 'yPred', 'yTrue'], ['loss', 'yPred', 'yTrue']);
  const checked = checkGradCheckOptions(options, false);
  const loss = getLoss(target.loss);
  const yPred = toTensor(target.yPred, 'gradCheck: yPred', 'float64').clone();
  const yTrue = toTensor(target.yTrue, 'gradCheck: yTrue', 'float64');
  const analytic = loss.compute(yPred, yTrue).grad.clone('float64');
  return compareWithFiniteDifferences(
    [{ name: 'yPred', values: yPred.data, shape: yPred.shape, analytic: analytic.data }],
    () => loss.compute(yPred, yTrue).loss,
    checked,
  );
}

export function gradCheckModel(target: ModelGradCheckTarget, options: FiniteDifferenceOptions = {}): GradCheckResult {
  checkTarget(target, ['model', 'x', 'y'], ['model', 'x', 'y']);
  const checked = checkGradCheckOptions(options, false);
  const { model } = target;
  if (model === null || typeof model !== 'object' || typeof (model as Partial<GradCheckModel>).computeGradients !== 'function') {
    throw new TypeError(`gradCheck: target.model: expected a compiled Sequential, got ${describe(model)}`);
  }
  if (model.dtype !== 'float64') {
    throw new TypeError(`gradCheck: model ${model.name} has dtype '${model.dtype}'; expected 'float64' (new Sequential(layers, { dtype: 'float64' }))`);
  }
  const { grads } = model.computeGradients(target.x, target.y); // leaves weights, optimizer and states untouched
  const names = model.weightNames;
  const args: CheckedArgument[] = model.trainableWeights.map((w, i) => ({ name: names[i], values: w.data, shape: w.shape, analytic: grads[i].data }));
  return compareWithFiniteDifferences(args, () => model.computeGradients(target.x, target.y).loss, checked);
}

/**
 * For a layer with a numeric `maskValue` and an input [B, T, I]: 1 at every entry of a step whose
 * I features all equal maskValue (the layer's own test, ===), else 0; undefined when the layer
 * does not mask or no step is masked.
 */
function maskedInputEntries(layer: Layer, x: Tensor): Uint8Array | undefined {
  const maskValue = (layer as { maskValue?: unknown }).maskValue;
  if (typeof maskValue !== 'number' || x.shape.length !== 3) return undefined;
  const I = x.shape[2];
  const rows = x.data.length / I; // B·T steps, each I contiguous features
  const skip = new Uint8Array(x.data.length);
  let any = false;
  for (let r = 0; r < rows; r++) {
    let masked = I > 0;
    for (let k = 0; k < I && masked; k++) masked = x.data[r * I + k] === maskValue;
    if (masked) {
      skip.fill(1, r * I, (r + 1) * I);
      any = true;
    }
  }
  return any ? skip : undefined;
}

/** A private xorshift generator, so a check never shifts the library's random stream. */
function randomNormalTensor(shape: readonly number[], seed: number): Tensor {
  let s = (seed >>> 0) || 1;
  const uniform = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const t = new Tensor(allocate('float64', sizeOf(shape)), shape);
  for (let i = 0; i < t.data.length; i++) {
    t.data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return t;
}
