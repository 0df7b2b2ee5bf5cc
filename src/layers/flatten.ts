/**
 * Flatten: [B, d1, d2, ...] → [B, d1·d2·...], in row-major order (Keras' data_format
 * 'channels_last', its default). No weights, no arithmetic: forward and backward are reshapes.
 *
 * Forward:   y[b, :] = x[b, ...] read row-major          (a view: the same entries)
 * Backward:  dx = dy reshaped to x's shape                (differentiates the reshape)
 *
 * A step mask does not pass: the output has no time axis (as Keras' Flatten, which makes no mask).
 * Keras' data_format 'channels_first' (channels moved last before flattening) is not implemented:
 * refused by name when a file sets it.
 */
import { Tensor, assertFinite, formatShape, sameShape, sizeOf, toTensor } from '../tensor/tensor.js';
import { checkOptions } from '../base/options.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { registerLayer } from './registry.js';

export type FlattenOptions = BaseLayerOptions;

export class Flatten extends Layer {
  /** The input shape of the last forward. */
  private lastInputShape: readonly number[] | undefined;
  private lastOutputShape: readonly number[] | undefined;

  constructor(options: FlattenOptions = {}) {
    const opts = checkOptions(options, BASE_LAYER_OPTION_KEYS, 'Flatten');
    super(opts as BaseLayerOptions, 'flatten');
  }

  build(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length < 2) {
      throw new RangeError(`Flatten ${this.name}: expected an input shape [batch, ...] of rank 2 or more, got ${formatShape(inputShape)}`);
    }
    if (!this.built) this.builtInputShape = [...inputShape];
  }

  /** [B, d1, d2, ...] → [B, d1·d2·...]; null when any of d1, d2, ... is unknown. */
  computeOutputShape(inputShape: Shape): Shape {
    const rest = inputShape.slice(1);
    return [inputShape[0], rest.some((d) => d === null) ? null : sizeOf(rest as number[])];
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

  /** [B, ...] → [B, prod]. A new tensor. */
  forward(xLike: Tensor, _options: ForwardOptions = {}): Tensor {
    const x = toTensor(xLike, `Flatten ${this.name}: input x`, this.dtype);
    if (x.rank < 2) throw new RangeError(`Flatten ${this.name}: input x must have rank 2 or more ([batch, ...]), got shape ${formatShape(x.shape)}`);
    assertFinite(x, `Flatten ${this.name}: input x`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this[forwardTrusted](x).clone();
  }

  /** forward on a checked x (layer.ts, forwardTrusted): a view of x. */
  override [forwardTrusted](x: Tensor): Tensor {
    const B = x.shape[0];
    this.lastInputShape = x.shape;
    this.lastOutputShape = [B, B === 0 ? 0 : x.size / B];
    return new Tensor(x.data, this.lastOutputShape); // y = x viewed as [B, prod]
  }

  /** dL/dx: dy reshaped to the input's shape. A new tensor. */
  backward(dyLike: Tensor): Tensor {
    if (this.lastOutputShape === undefined) throw new Error(`Flatten ${this.name}.backward: call forward before backward`);
    const dy = toTensor(dyLike, `Flatten ${this.name}.backward: dy`, this.dtype);
    if (!sameShape(dy.shape, this.lastOutputShape)) {
      throw new RangeError(`Flatten ${this.name}.backward: dy has shape ${formatShape(dy.shape)}, expected the output shape ${formatShape(this.lastOutputShape)}`);
    }
    return this[backwardTrusted](dy, true)!.clone();
  }

  /** backward on a checked dy (layer.ts, backwardTrusted): a view of dy. */
  override [backwardTrusted](dy: Tensor, needInputGradient: boolean): Tensor | undefined {
    return needInputGradient ? new Tensor(dy.data, this.lastInputShape!) : undefined; // dx = dy viewed as x's shape
  }

  getConfig(): LayerConfig {
    return {
      className: 'Flatten',
      config: {
        name: this.name,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }
}

registerLayer({
  className: 'Flatten',
  fromConfig: (config) => new Flatten(config as unknown as FlattenOptions),
  weightShapes: () => [],
  keras: {
    toKerasConfig: () => ({ data_format: 'channels_last' }),
    fromKerasConfig(r) {
      r.expect('data_format', (v) => v === 'channels_last' || v === null || v === undefined, "'channels_last' (Keras' default; 'channels_first' is not implemented)");
      return {};
    },
  },
});
