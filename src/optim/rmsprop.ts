/**
 * RMSprop (Hinton), the tf.keras 2 form, plain or centered, with optional momentum:
 *
 *   ms  ← ρ·ms + (1 - ρ)·g²                  running mean of g²
 *   centered:  mg ← ρ·mg + (1 - ρ)·g;  d = ms - mg²   (variance instead of raw second moment)
 *   else:      d = ms
 *   no momentum:  w ← w - lr·g / (sqrt(d) + ε)
 *   momentum μ:   mom ← μ·mom + lr·g / (sqrt(d) + ε);  w ← w - mom
 *
 * Slots per parameter: [ms], then [mom] when momentum > 0, then [mg] when centered.
 * Porting note: tf.keras 2's momentum path (the ApplyRMSProp kernels), Keras 3 and TF.js put ε
 * inside the root, sqrt(d + ε); we use sqrt(d) + ε throughout, as tf.keras 2 does without momentum.
 * d is floored at 0: ms ≥ mg² holds exactly, but rounding can push it a hair below.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { checkBoolean, checkNonNegativeNumber, checkOptions } from '../common/options.js';
import { checkClipOptions, clipElement, type ClipOptions } from './clip.js';
import { checkInRange, checkPositiveNumber } from './option-checks.js';
import { Optimizer } from './optimizer.js';

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
    const lr = this.learningRate;
    const rho = this.rho;
    const mu = this.momentum;
    const eps = this.epsilon;
    const ms = slots[0]; // running mean of g², shaped like w
    const mom = mu > 0 ? slots[1] : undefined; // momentum buffer
    const mg = this.centered ? slots[slots.length - 1] : undefined; // running mean of g
    let check = 0;
    // tf.keras 2 RMSprop, one loop for all four variants (the branches are loop-invariant).
    for (let j = 0; j < w.length; j++) {
      const gj = clipElement(scale * g[j], limit);
      const msj = rho * ms[j] + (1 - rho) * gj * gj; // ms ← ρ ms + (1-ρ) g²
      ms[j] = msj;
      check += ms[j] * 0; // as stored (a float32 store may overflow)
      let d = msj;
      if (mg !== undefined) {
        const mgj = rho * mg[j] + (1 - rho) * gj; // mg ← ρ mg + (1-ρ) g
        mg[j] = mgj;
        check += mg[j] * 0;
        d = msj - mgj * mgj; // d = ms - mg²
        if (d < 0) d = 0;
      }
      const step = (lr * gj) / (Math.sqrt(d) + eps); // lr·g / (sqrt(d) + ε)
      if (mom !== undefined) {
        const momj = mu * mom[j] + step; // mom ← μ mom + lr·g / (sqrt(d) + ε)
        mom[j] = momj;
        w[j] -= momj; // w ← w - mom
        check += mom[j] * 0 + w[j] * 0;
      } else {
        w[j] -= step; // w ← w - lr·g / (sqrt(d) + ε)
        check += w[j] * 0;
      }
    }
    return check;
  }
}
