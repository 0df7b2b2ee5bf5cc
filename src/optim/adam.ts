/**
 * Adam (Kingma & Ba), in the Keras 2 form (tf.keras 2's ResourceApplyAdam, "epsilon hat"):
 *
 *   t    ← t + 1
 *   lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t)      bias correction folded into the step size
 *   m    ← β1·m + (1 - β1)·g
 *   v    ← β2·v + (1 - β2)·g²
 *   w    ← w - lr_t · m / (sqrt(v) + ε)
 *
 * Keras 3 keeps this form (keras/src/optimizers/adam.py, checked against Keras 3.15 in
 * test/keras-reference.test.ts). Porting notes:
 * - TF.js bias-corrects m and v separately,
 *     w ← w - lr · m̂ / (sqrt(v̂) + ε),  m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t),
 *   which is the same update with ε scaled by sqrt(1 - β2^t): the two agree except where sqrt(v)
 *   is comparable to ε (early steps, tiny gradients).
 * - Keras 3 on TensorFlow computes β1^t and β2^t from β1, β2 rounded to float32 even for float64
 *   variables (TensorFlow makes a float32 tensor of a Python float before the cast): in float64
 *   its lr_t is 6.7e-6 smaller (relatively) at t = 1 than the lr_t computed here from β1 = 0.9,
 *   β2 = 0.999 exactly (3.8e-6 at t = 1000), and the gap fades once β2^t is small (a few
 *   thousand steps). For float32 variables it computes lr_t in float32 from the same rounded
 *   β's, so the gap is the same there; here lr_t is computed in float64 and then rounded.
 *
 * Arithmetic: float32 weights are updated in float32 arithmetic (`adamFloat32`, as Keras does for
 * float32 variables), by a WebAssembly SIMD kernel (wasm/adam.wat) when every parameter is float32
 * and nothing is clipped, else by the same operations in JavaScript: the same bits either way.
 * float64 weights are updated in float64.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { checkNonNegativeNumber, checkOptions } from '../base/options.js';
import { checkClipOptions, clipElement, type ClipOptions } from './clip.js';
import { checkInRange, checkPositiveNumber } from './option-checks.js';
import { Optimizer, type NonFiniteUpdate } from './optimizer.js';
import { registerOptimizer } from './registry.js';
import { AdamWasm } from './wasm/adam-wasm.js';
import { Tensor } from '../tensor/tensor.js';

export interface AdamOptions extends ClipOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** β1 in [0, 1); default 0.9. */
  beta1?: number;
  /** β2 in [0, 1); default 0.999. */
  beta2?: number;
  /** ε > 0; default 1e-7 (Keras). */
  epsilon?: number;
}

const KEYS = ['learningRate', 'beta1', 'beta2', 'epsilon', 'clipNorm', 'clipValue'] as const;

export class Adam extends Optimizer {
  readonly className = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamOptions = {}) {
    const o = checkOptions(options, KEYS, 'Adam');
    super(checkNonNegativeNumber(o.learningRate ?? 0.001, 'Adam: learningRate'), checkClipOptions(o, 'Adam'));
    this.beta1 = checkInRange(o.beta1 ?? 0.9, 'Adam: beta1', 1, true);
    this.beta2 = checkInRange(o.beta2 ?? 0.999, 'Adam: beta2', 1, true);
    this.epsilon = checkPositiveNumber(o.epsilon ?? 1e-7, 'Adam: epsilon');
  }

  get slotNames(): readonly string[] {
    return ['m', 'v'];
  }

  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, clipNorm: this.clipNorm, clipValue: this.clipValue };
  }

  /**
   * The SIMD kernel and where each parameter sits in its memory; undefined: the JavaScript loops.
   * weightHosts[i] / gradientHosts[i]: the tensor whose storage is that region (hosted), if any.
   */
  private kernel: {
    wasm: AdamWasm;
    weights: Float32Array[];
    gradients: Float32Array[];
    weightHosts: (Tensor | undefined)[];
    gradientHosts: (Tensor | undefined)[];
  } | undefined;

  /** All-float32 parameters: m and v move into the WebAssembly kernel's memory (adam-wasm.ts). */
  protected override placeSlots(params: Tensor[], slots: Tensor[][]): Tensor[][] {
    this.kernel = undefined;
    if (!params.every((p) => p.dtype === 'float32')) return slots;
    const wasm = AdamWasm.create(params.reduce((n, p) => n + p.size, 0));
    if (wasm === null) return slots;
    const weights: Float32Array[] = [];
    const gradients: Float32Array[] = [];
    let offset = 0;
    const placed = params.map((p, i) => {
      const end = offset + p.size;
      weights.push(wasm.weights.subarray(offset, end));
      gradients.push(wasm.gradients.subarray(offset, end));
      const m = wasm.m.subarray(offset, end);
      const v = wasm.v.subarray(offset, end);
      m.set(slots[i][0].data);
      v.set(slots[i][1].data);
      offset = end;
      return [new Tensor(m, p.shape), new Tensor(v, p.shape)];
    });
    this.kernel = { wasm, weights, gradients, weightHosts: params.map(() => undefined), gradientHosts: params.map(() => undefined) };
    return placed;
  }

  /**
   * Every parameter in one kernel call: weights and gradients copied in, weights copied out, except
   * for tensors whose storage already is the kernel's memory. With `host` (a model's training
   * step), a tensor not yet there is moved there: its values are copied in once and its `data`
   * becomes the view, so later steps copy nothing. A region hosts one tensor only, so two models
   * sharing one Adam never share weights.
   */
  protected override updateAll(params: Tensor[], grads: Tensor[], t: number, host: boolean, slotData: TypedArray[][]): boolean | NonFiniteUpdate {
    const kernel = this.kernel;
    if (kernel === undefined) return false;
    for (let i = 0; i < params.length; i++) {
      stage(params[i], kernel.weights[i], kernel.weightHosts, i, host);
      stage(grads[i], kernel.gradients[i], kernel.gradientHosts, i, host);
    }
    // The kernel keeps the old w, m, v as it reads them (wasm/adam.wat), so an overflow can be undone.
    const wasm = kernel.wasm;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const check = wasm.run(this.stepSize(t), b1, 1 - b1, b2, 1 - b2, this.epsilon); // rounded to float32 on the way in
    if (check !== 0) {
      const refused = this.firstNonFinite(kernel.weights, slotData);
      wasm.undo();
      return refused; // the weights of tensors not hosted were not written yet
    }
    for (let i = 0; i < params.length; i++) {
      if (params[i].data !== kernel.weights[i]) params[i].data.set(kernel.weights[i]);
    }
    return true;
  }

  /** lr_t = lr·sqrt(1-β2^t)/(1-β1^t), the step size of update t. */
  private stepSize(t: number): number {
    return (this.learningRate * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
  }

  /** Returns Σ x·0 over the new w, m, v (0 while finite: optimizer.ts undoes the update otherwise). */
  protected update(w: TypedArray, g: TypedArray, slots: TypedArray[], scale: number, limit: number, t: number): number {
    const m = slots[0]; // first moment estimate, shaped like w
    const v = slots[1]; // second moment estimate
    const lrT = this.stepSize(t);
    if (w instanceof Float32Array) return adamFloat32(w, g, m, v, scale, limit, lrT, this.beta1, this.beta2, this.epsilon);
    // float64 weights, in float64: m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  w ← w - lr_t m / (sqrt(v) + ε)
    const b1 = this.beta1;
    const b2 = this.beta2;
    const eps = this.epsilon;
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    let check = 0;
    for (let j = 0; j < w.length; j++) {
      const gj = clipElement(scale * g[j], limit);
      const mj = b1 * m[j] + c1 * gj;
      const vj = b2 * v[j] + c2 * gj * gj;
      m[j] = mj;
      v[j] = vj;
      w[j] -= (lrT * mj) / (Math.sqrt(vj) + eps);
      check += mj * 0 + vj * 0 + w[j] * 0; // float64 arrays: what was computed is what was stored
    }
    return check;
  }
}

/**
 * Put tensor t's values into the kernel's region: nothing to do if t's storage is the region.
 * Else a tensor hosted there before (another model's, sharing this optimizer) first gets storage
 * of its own back, with its values, since the region is about to be overwritten; then t is copied
 * in and, with `host`, its storage becomes the region from now on.
 */
function stage(t: Tensor, region: Float32Array, hosts: (Tensor | undefined)[], i: number, host: boolean): void {
  if (t.data === region) return;
  const owner = hosts[i];
  if (owner !== undefined && owner.data === region) setStorage(owner, region.slice());
  hosts[i] = undefined;
  region.set(t.data);
  if (!host) return;
  setStorage(t, region);
  hosts[i] = t;
}

/** The same Tensor with its storage moved (Tensor.data is readonly to users, not to the optimizer). */
function setStorage(t: Tensor, data: Float32Array): void {
  (t as { data: Tensor['data'] }).data = data;
}

/**
 * Adam on float32 weights in float32 arithmetic, as Keras computes it for float32 variables: every
 * operation rounded to float32 (Math.fround), in the order of wasm/adam.wat, so this loop and the
 * SIMD kernel give the same bits (without a fused multiply-add, a float64 operation on float32
 * inputs rounded once to float32 IS the float32 operation). g is clipped first when asked
 * (scale ≠ 1 or a finite limit). Returns Σ x·0 over the new w, m, v: 0 when all are finite, else NaN.
 */
export function adamFloat32(
  w: Float32Array, g: TypedArray, m: TypedArray, v: TypedArray,
  scale: number, limit: number, lrT: number, beta1: number, beta2: number, epsilon: number,
): number {
  const f = Math.fround;
  const lr = f(lrT);
  const b1 = f(beta1);
  const c1 = f(1 - beta1);
  const b2 = f(beta2);
  const c2 = f(1 - beta2);
  const eps = f(epsilon);
  const clipping = scale !== 1 || limit !== Infinity;
  let check = 0;
  for (let j = 0; j < w.length; j++) {
    const gj = clipping ? f(clipElement(scale * g[j], limit)) : g[j];
    const mj = f(f(b1 * m[j]) + f(c1 * gj)); //              m ← β1·m + (1-β1)·g
    const vj = f(f(b2 * v[j]) + f(f(c2 * gj) * gj)); //      v ← β2·v + (1-β2)·g·g
    m[j] = mj;
    v[j] = vj;
    const wj = f(w[j] - f(f(lr * mj) / f(f(Math.sqrt(vj)) + eps))); // w ← w - lr_t·m / (sqrt(v) + ε)
    w[j] = wj;
    check += mj * 0 + vj * 0 + wj * 0;
  }
  return check;
}

registerOptimizer({
  className: 'Adam', names: ['adam'], fromConfig: (config) => new Adam(config as AdamOptions), nonNegativeSlots: ['v'],
  keras: { className: 'Adam', fields: { learningRate: 'learning_rate', beta1: 'beta_1', beta2: 'beta_2', epsilon: 'epsilon', clipNorm: 'clipnorm', clipValue: 'clipvalue' } },
});
