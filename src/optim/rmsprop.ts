/**
 * RMSprop (Hinton), in the Keras 3 form (keras/src/optimizers/rmsprop.py, Keras 3.15; TF.js's
 * tf.train.rmsprop computes the same without centering), plain or centered, with optional momentum:
 *
 *   ms  ← ρ·ms + (1 - ρ)·g²                  running mean of g² (Keras' `velocity`)
 *   centered:  mg ← ρ·mg + (1 - ρ)·g;  d = ms - mg²   (variance instead of raw second moment)
 *   else:      d = ms
 *   increment = lr·g / sqrt(d + ε)           ε inside the root
 *   no momentum:  w ← w - increment
 *   momentum μ:   mom ← μ·mom + increment;  w ← w - mom
 *
 * in Keras' order of operations: `(lr·g) / sqrt(d + ε)`, and d + ε as `(ms - mg²) + ε`. Defaults
 * as Keras: lr 0.001, ρ 0.9, μ 0, ε 1e-7 (test/keras-reference.test.ts compares all three
 * variants with Keras 3.15 over several steps, to float64 rounding).
 *
 * Slots per parameter: [ms], then [mom] when momentum > 0, then [mg] when centered.
 *
 * Porting notes:
 * - tf.keras 2 (Keras 2.3-2.15) without momentum stepped by lr·g / (sqrt(d) + ε), and lstm-ts
 *   did too before it followed Keras 3: with ε = 1e-7 the two differ wherever ms is comparable to
 *   ε (tiny gradients). One weight w = 0.5, input 0.001, target 0, MSE, one step of RMSprop(0.01):
 *   g = 2·0.5·0.001² = 1e-6, ms = 1e-13, and the step is 0.01·1e-6 / sqrt(1e-13 + 1e-7) = 3.16e-5
 *   here and in Keras 3, where ε outside the root gave 0.024.
 * - TF.js's centered form subtracts ε, sqrt(ms - (mg² + ε)), where Keras adds it.
 * - d is floored at 0 before ε is added: ms ≥ mg² holds exactly, but rounding can push the
 *   centered variance a hair below 0, where Keras' sqrt((ms - mg²) + ε) takes a larger step or
 *   gives NaN. Where d ≥ 0 the two are the same operations.
 *
 * Arithmetic: as Adam (adam.ts), float32 weights are updated in float32 arithmetic (every
 * operation rounded to float32 with Math.fround, as Keras computes for float32 variables: ρ, 1 - ρ,
 * ε, lr and μ rounded to float32 first); float64 weights in float64. There is no WebAssembly path.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { checkBoolean, checkNonNegativeNumber, checkOptions } from '../base/options.js';
import { checkClipOptions, clipElement, type ClipOptions } from './clip.js';
import { checkInRange, checkPositiveNumber } from './option-checks.js';
import { Optimizer } from './optimizer.js';
import { registerOptimizer } from './registry.js';

export interface RMSpropOptions extends ClipOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** ρ in [0, 1); default 0.9. */
  rho?: number;
  /** μ in [0, 1]; default 0. */
  momentum?: number;
  /** ε > 0; default 1e-7 (Keras). */
  epsilon?: number;
  /** Default false. */
  centered?: boolean;
}

const KEYS = ['learningRate', 'rho', 'momentum', 'epsilon', 'centered', 'clipNorm', 'clipValue'] as const;

export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    const o = checkOptions(options, KEYS, 'RMSprop');
    super(checkNonNegativeNumber(o.learningRate ?? 0.001, 'RMSprop: learningRate'), checkClipOptions(o, 'RMSprop'));
    this.rho = checkInRange(o.rho ?? 0.9, 'RMSprop: rho', 1, true);
    this.momentum = checkInRange(o.momentum ?? 0, 'RMSprop: momentum', 1, false);
    this.epsilon = checkPositiveNumber(o.epsilon ?? 1e-7, 'RMSprop: epsilon');
    this.centered = checkBoolean(o.centered ?? false, 'RMSprop: centered');
  }

  get slotNames(): readonly string[] {
    return ['ms', ...(this.momentum > 0 ? ['mom'] : []), ...(this.centered ? ['mg'] : [])];
  }

  getConfig(): Record<string, unknown> {
    return {
      learningRate: this.learningRate,
      rho: this.rho,
      momentum: this.momentum,
      epsilon: this.epsilon,
      centered: this.centered,
      clipNorm: this.clipNorm,
      clipValue: this.clipValue,
    };
  }

  /** Returns Σ x·0 over the new w and slots as stored (0 while finite: optimizer.ts undoes the update otherwise). */
  protected update(w: TypedArray, g: TypedArray, slots: TypedArray[], scale: number, limit: number): number {
    const ms = slots[0]; // running mean of g², shaped like w
    const mom = this.momentum > 0 ? slots[1] : undefined; // momentum buffer
    const mg = this.centered ? slots[slots.length - 1] : undefined; // running mean of g
    if (w instanceof Float32Array) return rmspropFloat32(w, g, ms, mom, mg, scale, limit, this.learningRate, this.rho, this.momentum, this.epsilon);
    // float64 weights, in float64: one loop for all four variants (the branches are loop-invariant).
    const lr = this.learningRate;
    const rho = this.rho;
    const c = 1 - rho;
    const mu = this.momentum;
    const eps = this.epsilon;
    let check = 0;
    for (let j = 0; j < w.length; j++) {
      const gj = clipElement(scale * g[j], limit);
      const msj = rho * ms[j] + c * (gj * gj); // ms ← ρ ms + (1-ρ) g²
      ms[j] = msj;
      check += ms[j] * 0; // as stored (a float32 store may overflow)
      let d = msj;
      if (mg !== undefined) {
        const mgj = rho * mg[j] + c * gj; // mg ← ρ mg + (1-ρ) g
        mg[j] = mgj;
        check += mg[j] * 0;
        d = msj - mgj * mgj; // d = ms - mg²
        if (d < 0) d = 0;
      }
      const increment = (lr * gj) / Math.sqrt(d + eps); // lr·g / sqrt(d + ε)
      if (mom !== undefined) {
        const momj = mu * mom[j] + increment; // mom ← μ mom + increment
        mom[j] = momj;
        w[j] -= momj; // w ← w - mom
        check += mom[j] * 0 + w[j] * 0;
      } else {
        w[j] -= increment; // w ← w - increment
        check += w[j] * 0;
      }
    }
    return check;
  }
}

/**
 * RMSprop on float32 weights in float32 arithmetic, as Keras computes it for float32 variables:
 * every operation rounded to float32 (Math.fround; without a fused multiply-add, a float64
 * operation on float32 inputs rounded once to float32 IS the float32 operation, and so is a
 * float64 square root rounded to float32), in Keras' order. mom / mg: undefined when unused.
 */
export function rmspropFloat32(
  w: Float32Array, g: TypedArray, ms: TypedArray, mom: TypedArray | undefined, mg: TypedArray | undefined,
  scale: number, limit: number, learningRate: number, rho: number, momentum: number, epsilon: number,
): number {
  const f = Math.fround;
  const lr = f(learningRate);
  const r = f(rho);
  const c = f(1 - rho);
  const mu = f(momentum);
  const eps = f(epsilon);
  const clipping = scale !== 1 || limit !== Infinity;
  let check = 0; // Σ x·0 over what is stored: 0 while every value is finite
  for (let j = 0; j < w.length; j++) {
    const gj = clipping ? f(clipElement(scale * g[j], limit)) : g[j];
    const msj = f(f(r * ms[j]) + f(c * f(gj * gj))); //          ms ← ρ·ms + (1-ρ)·g²
    ms[j] = msj;
    check += msj * 0;
    let d = msj;
    if (mg !== undefined) {
      const mgj = f(f(r * mg[j]) + f(c * gj)); //                 mg ← ρ·mg + (1-ρ)·g
      mg[j] = mgj;
      check += mgj * 0;
      d = f(msj - f(mgj * mgj)); //                               d = ms - mg²
      if (d < 0) d = 0;
    }
    const increment = f(f(lr * gj) / f(Math.sqrt(f(d + eps)))); // lr·g / sqrt(d + ε)
    if (mom !== undefined) {
      const momj = f(f(mu * mom[j]) + increment); //              mom ← μ·mom + increment
      mom[j] = momj;
      w[j] = f(w[j] - momj); //                                   w ← w - mom
      check += momj * 0 + w[j] * 0;
    } else {
      w[j] = f(w[j] - increment); //                              w ← w - increment
      check += w[j] * 0;
    }
  }
  return check;
}

registerOptimizer({
  className: 'RMSprop', names: ['rmsprop'], fromConfig: (config) => new RMSprop(config as RMSpropOptions), nonNegativeSlots: ['ms'],
  keras: { className: 'RMSprop', fields: { learningRate: 'learning_rate', rho: 'rho', momentum: 'momentum', epsilon: 'epsilon', centered: 'centered', clipNorm: 'clipnorm', clipValue: 'clipvalue' } },
});
