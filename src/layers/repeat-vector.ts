/**
 * RepeatVector(n): repeats a vector n times along a new time axis (the Encoder-Decoder's bridge
 * from the encoder's final state to the decoder's input sequence).
 *
 * Shape legend: B batch, F features, n copies. No weights.
 *
 * Forward:   y[b, t, :] = x[b, :]           for t = 0 … n − 1      [B, F] → [B, n, F]
 * Backward:  dx[b, :]   = Σ_t dy[b, t, :]   (each copy's gradient flows back to the one x)
 */
import { allocate } from '../tensor/alloc.js';
import { Tensor, assertFinite, formatShape, sameShape, toTensor } from '../tensor/tensor.js';
import { checkOptions, checkPositiveInteger } from '../base/options.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { registerLayer } from './registry.js';

export interface RepeatVectorOptions extends BaseLayerOptions {
  /** How many times to repeat the input. */
  n: number;
}

const REPEAT_VECTOR_OPTION_KEYS = [...BASE_LAYER_OPTION_KEYS, 'n'];

export class RepeatVector extends Layer {
  readonly n: number;

  private output: Tensor | undefined; // [B, n, F]
  private dx: Tensor | undefined; // [B, F]

  constructor(options: RepeatVectorOptions) {
    const opts = checkOptions(options, REPEAT_VECTOR_OPTION_KEYS, 'RepeatVector');
    super(opts as BaseLayerOptions, 'repeat_vector');
    this.n = checkPositiveInteger(opts.n, `RepeatVector ${this.name}: n`);
  }

  build(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length !== 2) {
      throw new RangeError(`RepeatVector ${this.name}: expected an input shape [batch, features], got ${formatShape(inputShape)}`);
    }
    if (!this.built) this.builtInputShape = [...inputShape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], this.n, ...inputShape.slice(1)];
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

  /** [B, F] → [B, n, F]. A new tensor. */
  forward(xLike: Tensor, _options: ForwardOptions = {}): Tensor {
    const x = toTensor(xLike, `RepeatVector ${this.name}: input x`, this.dtype);
    if (x.rank !== 2) throw new RangeError(`RepeatVector ${this.name}: input x must have shape [batch, features], got shape ${formatShape(x.shape)}`);
    assertFinite(x, `RepeatVector ${this.name}: input x`);
    if (!this.built) this.build([null, x.shape[1]]);
    return this[forwardTrusted](x).clone();
  }

  /** forward on a checked x (layer.ts, forwardTrusted). */
  override [forwardTrusted](x: Tensor): Tensor {
    const [B, F] = x.shape as [number, number];
    const n = this.n;
    if (this.output === undefined || !sameShape(this.output.shape, [B, n, F])) {
      this.output = new Tensor(allocate(this.dtype, B * n * F), [B, n, F]);
      this.dx = new Tensor(allocate(this.dtype, B * F), [B, F]);
    }
    const y = this.output.data;
    for (let b = 0; b < B; b++) {
      const row = x.data.subarray(b * F, (b + 1) * F);
      for (let t = 0; t < n; t++) y.set(row, (b * n + t) * F); // y[b, t, :] = x[b, :]
    }
    return this.output;
  }

  /** dL/dx = Σ over the n copies of dy. A new tensor. */
  backward(dyLike: Tensor): Tensor {
    if (this.output === undefined) throw new Error(`RepeatVector ${this.name}.backward: call forward before backward`);
    const dy = toTensor(dyLike, `RepeatVector ${this.name}.backward: dy`, this.dtype);
    if (!sameShape(dy.shape, this.output.shape)) {
      throw new RangeError(`RepeatVector ${this.name}.backward: dy has shape ${formatShape(dy.shape)}, expected the output shape ${formatShape(this.output.shape)}`);
    }
    return this[backwardTrusted](dy, true)!.clone();
  }

  /** backward on a checked dy (layer.ts, backwardTrusted). */
  override [backwardTrusted](dy: Tensor, needInputGradient: boolean): Tensor | undefined {
    if (!needInputGradient) return undefined;
    const [B, n, F] = this.output!.shape as [number, number, number];
    const dx = this.dx!.data;
    const g = dy.data;
    dx.fill(0);
    // dx[b, :] += dy[b, t, :]   (differentiates y[b, t, :] = x[b, :])
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < n; t++) {
        const from = (b * n + t) * F;
        for (let f = 0; f < F; f++) dx[b * F + f] += g[from + f];
      }
    }
    return this.dx;
  }

  getConfig(): LayerConfig {
    return {
      className: 'RepeatVector',
      config: {
        name: this.name,
        n: this.n,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }
}

registerLayer({
  className: 'RepeatVector',
  fromConfig: (config) => new RepeatVector(config as unknown as RepeatVectorOptions),
  weightShapes: () => [],
  keras: {
    toKerasConfig: (c) => ({ n: c.n }),
    fromKerasConfig: (r) => ({ n: r.take('n') }),
  },
});
