/**
 * Dropout(rate): during training, each input entry is dropped (set to 0) with probability
 * `rate` and the kept ones are scaled by 1 / (1 − rate) ("inverted" dropout, as Keras and TF.js),
 * so the expected output equals the input; at inference (predict, evaluate) it is the identity.
 *
 * Shape legend: N = every entry of the input ([B, ...] flattened). No weights.
 *
 * Forward (training, rate > 0):
 *   keep_n  = u_n >= rate, u_n ~ U[0, 1) from the library's generator (setSeed), one per entry
 *   s_n     = keep_n ? 1 / (1 − rate) : 0      (kept: the layer's mask, for backward)
 *   y_n     = keep_n ? x_n · s_n : 0             (TF's tf.nn.dropout: where(keep, x · scale, 0))
 * Forward (inference, or rate 0):   y = x, nothing drawn.
 * Backward:  dx_n = keep_n ? dy_n · s_n : 0   (differentiates y_n = x_n · s_n with the mask of the last forward;
 *            identity after an inference forward)
 *
 * The mask is drawn once per forward and kept until the next forward, so backward (and a
 * finite-difference check that re-seeds before each forward) sees the very mask forward used.
 * A step mask coming from below (Masking, an Embedding with maskZero) passes through unchanged.
 *
 * Keras' `noise_shape` (one mask shared along some axes) is not implemented: refused by name
 * when a file sets it. Keras' `seed` is read and dropped: every random draw in lstm-ts follows
 * setSeed, and no engine reproduces another's dropout masks anyway.
 */
import { allocate, type TypedArray } from '../tensor/alloc.js';
import { randomUniform } from '../tensor/random.js';
import { Tensor, assertFinite, describe, formatShape, sameShape, toTensor } from '../tensor/tensor.js';
import { checkOptions } from '../base/options.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, outputMask, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { registerLayer } from './registry.js';

export interface DropoutOptions extends BaseLayerOptions {
  /** The fraction of the input entries to drop while training, in [0, 1). */
  rate: number;
}

const DROPOUT_OPTION_KEYS = [...BASE_LAYER_OPTION_KEYS, 'rate'];

export class Dropout extends Layer {
  readonly rate: number;

  /** s of the last training forward: 0 (dropped) or 1 / (1 − rate) (kept), one per entry; undefined after an inference forward. */
  private scale: TypedArray | undefined; // [N]
  /** The output of the last forward (training), reused while the shape repeats. */
  private output: Tensor | undefined; // [B, ...]
  /** dL/dx of the last backward. */
  private dx: Tensor | undefined; // [B, ...]
  /** The shape of the last forward's input (and output). */
  private lastShape: readonly number[] | undefined;

  constructor(options: DropoutOptions) {
    const opts = checkOptions(options, DROPOUT_OPTION_KEYS, 'Dropout');
    super(opts as BaseLayerOptions, 'dropout');
    const rate = opts.rate;
    // Keras accepts rate 1 at construction but TF's dropout refuses it at the first training call: refused here at once.
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate >= 1) {
      throw new RangeError(`Dropout ${this.name}: rate: expected a number in [0, 1) (the fraction of the inputs to drop), got ${describe(rate)}`);
    }
    this.rate = rate;
  }

  build(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length < 2) {
      throw new RangeError(`Dropout ${this.name}: expected an input shape [batch, ...] of rank 2 or more, got ${formatShape(inputShape)}`);
    }
    if (!this.built) this.builtInputShape = [...inputShape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape];
  }

  get trainableWeights(): Tensor[] {
    return [];
  }

  get weightNames(): string[] {
    return [];
  }

  getGradients(): Tensor[] {
    return [];
  }

  /** y = x ⊙ s with a fresh mask when `training` (default false, as Keras outside fit), else y = x. A new tensor. */
  forward(xLike: Tensor, options: ForwardOptions = {}): Tensor {
    const opts = checkOptions(options, ['training'], `Dropout ${this.name}.forward: options`);
    const x = toTensor(xLike, `Dropout ${this.name}: input x`, this.dtype);
    if (x.rank < 2) throw new RangeError(`Dropout ${this.name}: input x must have rank 2 or more ([batch, ...]), got shape ${formatShape(x.shape)}`);
    assertFinite(x, `Dropout ${this.name}: input x`);
    const training = opts.training === undefined ? false : opts.training;
    if (typeof training !== 'boolean') throw new TypeError(`Dropout ${this.name}.forward: options.training: expected true or false, got ${describe(training)}`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this[forwardTrusted](x, undefined, training).clone();
  }

  /** forward on a checked x (layer.ts, forwardTrusted): at inference x itself, else the layer's output buffer. */
  override [forwardTrusted](x: Tensor, _inputMask?: Uint8Array, training = false): Tensor {
    this.lastShape = x.shape;
    if (!training || this.rate === 0) {
      this.scale = undefined;
      return x;
    }
    const n = x.size;
    if (this.output === undefined || !sameShape(this.output.shape, x.shape)) {
      this.output = new Tensor(allocate(this.dtype, n), x.shape);
      this.scale = allocate(this.dtype, n);
    }
    const s = (this.scale ??= allocate(this.dtype, n)); // [N] the mask, kept for backward
    const y = this.output.data;
    const xd = x.data;
    const kept = 1 / (1 - this.rate); // stored in the layer's dtype, as TF's scale tensor
    for (let i = 0; i < n; i++) s[i] = randomUniform() >= this.rate ? kept : 0;
    for (let i = 0; i < n; i++) y[i] = s[i] === 0 ? 0 : xd[i] * s[i]; // y = x · s (a dropped entry is +0, as TF's where(keep, x · scale, 0))
    return this.output;
  }

  /** The step mask from below, passed on unchanged (layer.ts, outputMask). */
  override [outputMask](inputMask: Uint8Array | undefined): Uint8Array | undefined {
    return inputMask;
  }

  /** dL/dx = dy ⊙ s, with the mask of the last forward (dy itself after an inference forward). A new tensor. */
  backward(dyLike: Tensor): Tensor {
    if (this.lastShape === undefined) throw new Error(`Dropout ${this.name}.backward: call forward before backward`);
    const dy = toTensor(dyLike, `Dropout ${this.name}.backward: dy`, this.dtype);
    if (!sameShape(dy.shape, this.lastShape)) {
      throw new RangeError(`Dropout ${this.name}.backward: dy has shape ${formatShape(dy.shape)}, expected the output shape ${formatShape(this.lastShape)}`);
    }
    return this[backwardTrusted](dy, true)!.clone();
  }

  /** backward on a checked dy (layer.ts, backwardTrusted). */
  override [backwardTrusted](dy: Tensor, needInputGradient: boolean): Tensor | undefined {
    if (!needInputGradient) return undefined;
    if (this.dx === undefined || !sameShape(this.dx.shape, dy.shape)) this.dx = new Tensor(allocate(this.dtype, dy.size), dy.shape);
    const dx = this.dx.data;
    const g = dy.data;
    const s = this.scale;
    if (s === undefined) dx.set(g); // inference forward: y = x
    else for (let i = 0; i < dx.length; i++) dx[i] = s[i] === 0 ? 0 : g[i] * s[i]; // differentiates y = x · s
    return this.dx;
  }

  getConfig(): LayerConfig {
    return {
      className: 'Dropout',
      config: {
        name: this.name,
        rate: this.rate,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }
}

registerLayer({
  className: 'Dropout',
  fromConfig: (config) => new Dropout(config as unknown as DropoutOptions),
  weightShapes: () => [],
  keras: {
    toKerasConfig: (c) => ({ rate: c.rate, noise_shape: null, seed: null }),
    fromKerasConfig(r) {
      const options = { rate: r.take('rate') };
      r.expect('noise_shape', (v) => v === null || v === undefined, 'null (a noise_shape, one dropout mask shared along some axes, is not implemented)');
      r.take('seed'); // dropped: lstm-ts' draws follow setSeed (see the file's comment)
      return options;
    },
  },
});
