/**
 * Stochastic gradient descent, with optional momentum and Nesterov momentum (Keras `SGD`).
 *
 *   plain:     w ← w - lr·g
 *   momentum:  v ← μ·v - lr·g;  w ← w + v
 *   Nesterov:  v ← μ·v - lr·g;  w ← w + μ·v - lr·g
 *
 * The velocity slot v exists only when momentum > 0 (as in Keras, Nesterov with μ = 0 is plain SGD).
 */
import type { TypedArray } from '../tensor/alloc.js';
import { checkBoolean, checkNonNegativeNumber, checkOptions } from '../base/options.js';
import { checkClipOptions, clipElement, type ClipOptions } from './clip.js';
import { checkInRange } from './option-checks.js';
import { Optimizer } from './optimizer.js';
import { registerOptimizer } from './registry.js';

export interface SGDOptions extends ClipOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** μ in [0, 1]; default 0. */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
}

const KEYS = ['learningRate', 'momentum', 'nesterov', 'clipNorm', 'clipValue'] as const;

export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    const o = checkOptions(options, KEYS, 'SGD');
    super(checkNonNegativeNumber(o.learningRate ?? 0.01, 'SGD: learningRate'), checkClipOptions(o, 'SGD'));
    this.momentum = checkInRange(o.momentum ?? 0, 'SGD: momentum', 1, false);
    this.nesterov = checkBoolean(o.nesterov ?? false, 'SGD: nesterov');
  }

  get slotNames(): readonly string[] {
    return this.momentum > 0 ? ['velocity'] : [];
  }

  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, clipNorm: this.clipNorm, clipValue: this.clipValue };
  }

  /** Returns Σ x·0 over the new w and v as stored (0 while finite: optimizer.ts undoes the update otherwise). */
  protected update(w: TypedArray, g: TypedArray, slots: TypedArray[], scale: number, limit: number): number {
    const lr = this.learningRate;
    const mu = this.momentum;
    let check = 0;
    if (slots.length === 0) {
      // Plain SGD: w ← w - lr·g
      for (let j = 0; j < w.length; j++) {
        w[j] -= lr * clipElement(scale * g[j], limit);
        check += w[j] * 0; // read back: a float32 store can overflow what float64 computed
      }
      return check;
    }
    const v = slots[0]; // velocity, shaped like w
    if (!this.nesterov) {
      // Keras momentum: v ← μ·v - lr·g;  w ← w + v
      for (let j = 0; j < w.length; j++) {
        const vj = mu * v[j] - lr * clipElement(scale * g[j], limit);
        v[j] = vj;
        w[j] += vj;
        check += v[j] * 0 + w[j] * 0; // as stored (float32 may overflow)
      }
    } else {
      // Keras Nesterov: v ← μ·v - lr·g;  w ← w + μ·v - lr·g
      for (let j = 0; j < w.length; j++) {
        const gj = clipElement(scale * g[j], limit);
        const vj = mu * v[j] - lr * gj;
        v[j] = vj;
        w[j] += mu * vj - lr * gj;
        check += v[j] * 0 + w[j] * 0; // as stored (float32 may overflow)
      }
    }
    return check;
  }
}

registerOptimizer({
  className: 'SGD', names: ['sgd'], fromConfig: (config) => new SGD(config as SGDOptions),
  keras: { className: 'SGD', fields: { learningRate: 'learning_rate', momentum: 'momentum', nesterov: 'nesterov', clipNorm: 'clipnorm', clipValue: 'clipvalue' } },
});
