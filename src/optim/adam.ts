/**
 * Adam (Kingma & Ba), in the Keras 2 form (tf.keras 2's ResourceApplyAdam, "epsilon hat"):
 *
 *   t    ← t + 1
 *   lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t)      bias correction folded into the step size
 *   m    ← β1·m + (1 - β1)·g
 *   v    ← β2·v + (1 - β2)·g²
 *   w    ← w - lr_t · m / (sqrt(v) + ε)
 *
 * Porting note: TF.js (and Keras 3) bias-correct m and v separately,
 *   w ← w - lr · m̂ / (sqrt(v̂) + ε),  m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t),
 * which is the same update with ε scaled by sqrt(1 - β2^t): the two agree except where sqrt(v)
 * is comparable to ε (early steps, tiny gradients).
 */
import type { TypedArray } from '../tensor/alloc.js';
import { checkNonNegativeNumber, checkOptions } from '../common/options.js';
import { checkClipOptions, clipElement, type ClipOptions } from './clip.js';
import { checkInRange, checkPositiveNumber } from './option-checks.js';
import { Optimizer } from './optimizer.js';

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

  protected update(w: TypedArray, g: TypedArray, slots: TypedArray[], scale: number, limit: number, t: number): void {
    const m = slots[0]; // first moment estimate, shaped like w
    const v = slots[1]; // second moment estimate
    const b1 = this.beta1;
    const b2 = this.beta2;
    const eps = this.epsilon;
    const lrT = (this.learningRate * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t)); // lr_t = lr·sqrt(1-β2^t)/(1-β1^t)
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    // Keras 2 Adam: m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  w ← w - lr_t m / (sqrt(v) + ε)
    if (scale === 1 && limit === Infinity) {
      // No clipping (the usual case): the same arithmetic without clipElement in the hot loop.
      for (let j = 0; j < w.length; j++) {
        const gj = g[j];
        const mj = b1 * m[j] + c1 * gj;
        const vj = b2 * v[j] + c2 * gj * gj;
        m[j] = mj;
        v[j] = vj;
        w[j] -= (lrT * mj) / (Math.sqrt(vj) + eps);
      }
      return;
    }
    for (let j = 0; j < w.length; j++) {
      const gj = clipElement(scale * g[j], limit);
      const mj = b1 * m[j] + c1 * gj;
      const vj = b2 * v[j] + c2 * gj * gj;
      m[j] = mj;
      v[j] = vj;
      w[j] -= (lrT * mj) / (Math.sqrt(vj) + eps);
    }
  }
}
