/**
 * Dense: a fully connected layer, y = act(x·W + b), applied to the last axis.
 *
 * Shape legend: N rows (batch, or batch × time steps for 3-D input), I inputs, U units.
 * On a 3-D input [B, T, I] the same W and b apply at every time step (as Keras does), which is
 * the same as treating the input as N = B·T rows.
 *
 * | weight | shape  | Keras name |
 * |--------|--------|------------|
 * | kernel | [I, U] | kernel     |
 * | bias   | [U]    | bias       |  (absent when useBias is false)
 *
 * Forward:   z = x·W + b          (logits, kept)       y = act(z)         (kept)
 * Backward:  dz = dy ⊙ act'(z)    (softmax: dz = y ⊙ (dy − Σ dy⊙y), row-wise)
 *            dW = xᵀ·dz   db = Σ_rows dz   dx = dz·Wᵀ
 *
 * When the loss fuses with the activation (softmax + categorical cross-entropy, sigmoid +
 * binary cross-entropy), the model hands dL/dz straight to `backwardFromLogits`.
 */
import { allocate, type TypedArray } from '../tensor/alloc.js';
import { activate, activationBackward, softmaxRows, softmaxRowsBackward } from '../tensor/elementwise.js';
import { gemm } from '../tensor/gemm.js';
import { initialize, resolveInitializer, type InitializerName } from '../tensor/initializers.js';
import { Tensor, assertFinite, formatShape, sameShape, toTensor } from '../tensor/tensor.js';
import { checkBoolean, checkOptions, checkPositiveInteger } from '../base/options.js';
import { resolveActivation } from './activations.js';
import { kerasActivation, kerasInitializer } from './keras-config.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, outputMask, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { registerLayer } from './registry.js';

/** The key of Dense's unchecked backwardFromLogits, for the model's fused losses (as layer.ts' backwardTrusted). */
export const backwardFromLogitsTrusted: unique symbol = Symbol('backwardFromLogitsTrusted');

/** Dense's per-shape buffers: z and y of the last forward, dz and dx of the last backward. */
interface DenseBuffers {
  logits: Tensor; //      [..., U]  z = x·W + b
  output: Tensor; //      [..., U]  y = act(z)
  dLogits: TypedArray; // [N, U]    dL/dz
  dx: Tensor; //          [..., I]  dL/dx, shaped like the input
}

/** 'hardSigmoid' is Keras 2's / TF.js' clip(0.2·x + 0.5, 0, 1); 'hardSigmoidKeras3' Keras 3's relu6(x + 3) / 6. */
export type DenseActivation = 'linear' | 'sigmoid' | 'hardSigmoid' | 'hardSigmoidKeras3' | 'tanh' | 'relu' | 'softmax';
const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['linear', 'sigmoid', 'hardSigmoid', 'hardSigmoidKeras3', 'tanh', 'relu', 'softmax'];

export interface DenseOptions extends BaseLayerOptions {
  units: number;
  /** Default 'linear'. */
  activation?: DenseActivation | 'hard_sigmoid';
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName | string;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName | string;
}

const DENSE_OPTION_KEYS = [...BASE_LAYER_OPTION_KEYS, 'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer'];

export class Dense extends Layer {
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  private kernel: Tensor | undefined; // [I, U]
  private bias: Tensor | undefined; // [U]
  private dKernel: Tensor | undefined; // [I, U]
  private dBias: Tensor | undefined; // [U]

  // Kept by forward for backward.
  private input: Tensor | undefined; // [..., I] the input of the last forward
  /** z, y, dz and dx for the last input shape; reused while it repeats. */
  private buffers: DenseBuffers | undefined;

  constructor(options: DenseOptions) {
    const opts = checkOptions(options, DENSE_OPTION_KEYS, 'Dense');
    super(opts as BaseLayerOptions, 'dense');
    this.units = checkPositiveInteger(opts.units, `Dense ${this.name}: units`);
    this.activation = resolveActivation(opts.activation ?? 'linear', DENSE_ACTIVATIONS, `Dense ${this.name}: activation`);
    this.useBias = opts.useBias === undefined ? true : checkBoolean(opts.useBias, `Dense ${this.name}: useBias`);
    this.kernelInitializer = resolveInitializer(opts.kernelInitializer ?? 'glorotUniform', `Dense ${this.name}: kernelInitializer`);
    this.biasInitializer = resolveInitializer(opts.biasInitializer ?? 'zeros', `Dense ${this.name}: biasInitializer`);
  }

  get inputDim(): number | undefined {
    return this.kernel?.shape[0];
  }

  build(inputShape: Shape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inputDim === null || inputDim === undefined) {
      throw new RangeError(`Dense ${this.name}: expected an input shape [batch, ..., features] with a known feature count, got ${formatShape(inputShape)}`);
    }
    if (this.built) {
      if (inputDim !== this.inputDim) {
        throw new RangeError(`Dense ${this.name}: was built for ${this.inputDim} input features, got an input shape ${formatShape(inputShape)}`);
      }
      return;
    }
    this.kernel = initialize(this.kernelInitializer, [inputDim, this.units], this.dtype);
    this.dKernel = new Tensor(allocate(this.dtype, inputDim * this.units), [inputDim, this.units]);
    if (this.useBias) {
      this.bias = initialize(this.biasInitializer, [this.units], this.dtype);
      this.dBias = new Tensor(allocate(this.dtype, this.units), [this.units]);
    }
    this.builtInputShape = [...inputShape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  get trainableWeights(): Tensor[] {
    this.assertBuilt('trainableWeights');
    return this.bias ? [this.kernel!, this.bias] : [this.kernel!];
  }

  get weightNames(): string[] {
    return this.useBias ? ['kernel', 'bias'] : ['kernel'];
  }

  getGradients(): Tensor[] {
    this.assertBuilt('getGradients');
    return this.dBias ? [this.dKernel!, this.dBias] : [this.dKernel!];
  }

  /** y = act(x·W + b) over the last axis of x ([N, I] or [B, T, I]). A new tensor. */
  forward(xLike: Tensor, _options: ForwardOptions = {}): Tensor {
    const x = toTensor(xLike, `Dense ${this.name}: input x`, this.dtype);
    if (x.rank < 2) {
      throw new RangeError(`Dense ${this.name}: input x must have rank 2 or more ([batch, features] or [batch, timeSteps, features]), got shape ${formatShape(x.shape)}`);
    }
    if (this.built && x.shape[x.rank - 1] !== this.inputDim) {
      throw new RangeError(`Dense ${this.name}: input x has ${x.shape[x.rank - 1]} features (shape ${formatShape(x.shape)}), expected ${this.inputDim}`);
    }
    assertFinite(x, `Dense ${this.name}: input x`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]); // after every check: a refused x draws no weights
    return this[forwardTrusted](x).clone();
  }

  /** forward on a checked x; y in the layer's buffer (layer.ts, forwardTrusted). */
  override [forwardTrusted](x: Tensor): Tensor {
    const inputDim = this.inputDim!; // I
    const units = this.units; // U
    const rows = x.size / inputDim; // N
    const { logits, output } = this.buffersFor(x.shape);
    const z = logits.data; // [N, U]

    // z = x·W        [N, I]·[I, U]
    gemm(rows, units, inputDim, { data: x.data, offset: 0, ld: inputDim }, { data: this.kernel!.data, offset: 0, ld: units }, { data: z, offset: 0, ld: units }, false);
    // z += b        (broadcast over rows)
    if (this.bias) {
      const b = this.bias.data;
      for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) z[r * units + j] += b[j];
    }
    // y = act(z)
    if (this.activation === 'softmax') softmaxRows(z, output.data, rows, units);
    else activate(this.activation, z, output.data, 0, rows * units);

    this.input = x;
    return output;
  }



  /** A Dense applied at every time step ([B, T, features]) passes the steps' mask on unchanged (layer.ts, outputMask). */
  override [outputMask](inputMask: Uint8Array | undefined): Uint8Array | undefined {
    return this.input !== undefined && this.input.rank === 3 ? inputMask : undefined;
  }

  /** The pre-activation z = x·W + b of the last forward, shaped like the output (the layer's live buffer). */
  getLogits(): Tensor {
    if (this.buffers === undefined) {
      throw new Error(`Dense ${this.name}.getLogits: call forward first`);
    }
    return this.buffers.logits;
  }

  /** dL/dx from dL/dy; fills dL/dW and dL/db. A new tensor. */
  backward(dyLike: Tensor): Tensor {
    const dy = this.checkUpstream(dyLike, 'backward', 'dy');
    return this[backwardTrusted](dy, true)!.clone();
  }

  /** backward on a checked dy (layer.ts, backwardTrusted). */
  override [backwardTrusted](dy: Tensor, needInputGradient: boolean): Tensor | undefined {
    const { output, dLogits } = this.buffers!;
    const rows = dy.size / this.units;
    // dz = dy ⊙ act'(z), with act' read from the kept output y (softmax: its Jacobian-vector product)
    if (this.activation === 'softmax') softmaxRowsBackward(output.data, dy.data, dLogits, rows, this.units);
    else activationBackward(this.activation, output.data, dy.data, dLogits, 0, dy.size);
    return this.linearBackward(dLogits, needInputGradient);
  }

  /** Backward from dL/dz (the logits' gradient), for losses fused with this layer's activation. A new tensor. */
  backwardFromLogits(dLogitsLike: Tensor): Tensor {
    const dLogits = this.checkUpstream(dLogitsLike, 'backwardFromLogits', 'dLogits');
    return this[backwardFromLogitsTrusted](dLogits, true)!.clone();
  }

  /** backwardFromLogits on a checked dz, for the model (as backwardTrusted). */
  [backwardFromLogitsTrusted](dLogits: Tensor, needInputGradient: boolean): Tensor | undefined {
    return this.linearBackward(dLogits.data, needInputGradient);
  }

  private linearBackward(dLogits: TypedArray, needInputGradient: boolean): Tensor | undefined {
    const x = this.input!;
    const inputDim = this.inputDim!;
    const units = this.units;
    const rows = dLogits.length / units;
    // dW = xᵀ·dz      [I, N]·[N, U]   (differentiates z = x·W)
    gemm(inputDim, units, rows, { data: x.data, offset: 0, ld: inputDim, transpose: true }, { data: dLogits, offset: 0, ld: units }, { data: this.dKernel!.data, offset: 0, ld: units }, false);
    // db = Σ_rows dz                    (differentiates z += b)
    if (this.dBias) {
      const db = this.dBias.data;
      db.fill(0);
      for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) db[j] += dLogits[r * units + j];
    }
    if (!needInputGradient) return undefined;
    // dx = dz·Wᵀ      [N, U]·[U, I]
    const dx = this.buffers!.dx;
    gemm(rows, inputDim, units, { data: dLogits, offset: 0, ld: units }, { data: this.kernel!.data, offset: 0, ld: units, transpose: true }, { data: dx.data, offset: 0, ld: inputDim }, false);
    return dx;
  }

  private checkUpstream(gradLike: Tensor, where: string, argument: string): Tensor {
    if (this.buffers === undefined) {
      throw new Error(`Dense ${this.name}.${where}: call forward before backward`);
    }
    const outputShape = this.buffers.output.shape;
    const grad = toTensor(gradLike, `Dense ${this.name}.${where}: ${argument}`, this.dtype);
    if (grad.rank !== outputShape.length || grad.shape.some((d, axis) => d !== outputShape[axis])) {
      throw new RangeError(`Dense ${this.name}.${where}: ${argument} has shape ${formatShape(grad.shape)}, expected the output shape ${formatShape(outputShape)}`);
    }
    return grad;
  }

  /** The buffers for inputs of this shape: kept while the shape repeats, else allocated afresh. */
  private buffersFor(inputShape: readonly number[]): DenseBuffers {
    const kept = this.buffers;
    if (kept !== undefined && sameShape(kept.dx.shape, inputShape)) return kept;
    const outputShape = [...inputShape.slice(0, -1), this.units];
    const size = outputShape.reduce((n, d) => n * d, 1); // N·U
    this.buffers = {
      logits: new Tensor(allocate(this.dtype, size), outputShape), //  [..., U] z
      output: new Tensor(allocate(this.dtype, size), outputShape), //  [..., U] y
      dLogits: allocate(this.dtype, size), //                          [N, U]   dz
      dx: new Tensor(allocate(this.dtype, (size / this.units) * this.inputDim!), inputShape), // [..., I]
    };
    return this.buffers;
  }

  getConfig(): LayerConfig {
    return {
      className: 'Dense',
      config: {
        name: this.name,
        units: this.units,
        activation: this.activation,
        useBias: this.useBias,
        kernelInitializer: this.kernelInitializer,
        biasInitializer: this.biasInitializer,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }
}

registerLayer({
  className: 'Dense',
  fromConfig: (config) => new Dense(config as unknown as DenseOptions),
  // kernel [I, U], bias [U]
  weightShapes(config, inputShape) {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || typeof inputDim !== 'number') {
      throw new RangeError(`Dense ${String(config.name)}: expected an input shape [batch, ..., features] with a known feature count, got ${formatShape(inputShape)}`);
    }
    const units = config.units as number;
    return config.useBias === false ? [[inputDim, units]] : [[inputDim, units], [units]];
  },
  keras: {
    toKerasConfig: (c) => ({
      units: c.units,
      activation: kerasActivation(c.activation),
      use_bias: c.useBias,
      kernel_initializer: kerasInitializer(c.kernelInitializer),
      bias_initializer: kerasInitializer(c.biasInitializer),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    }),
    fromKerasConfig(r) {
      const options = {
        units: r.take('units'),
        activation: r.activation('activation'),
        useBias: r.take('use_bias'),
        kernelInitializer: r.initializer('kernel_initializer'),
        biasInitializer: r.initializer('bias_initializer'),
      };
      r.expectNone(['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'], 'regularizers and constraints');
      // Keras 3: a quantized Dense (int8, float8, int4, GPTQ, ...) keeps other weights and computes otherwise;
      // a LoRA Dense adds two low-rank kernels. Neither is what lstm-ts' Dense computes.
      r.expect('quantization_config', (v) => v === null || v === undefined, 'null (quantized Dense layers are not supported)');
      r.expect('lora_rank', (v) => v === null || v === undefined, 'null (LoRA Dense layers are not supported)');
      r.expect('lora_alpha', (v) => v === null || v === undefined, 'null (LoRA Dense layers are not supported)');
      return options;
    },
    inputShapeFromWeights: (weightShape) => {
      const kernel = weightShape('kernel');
      return kernel === undefined ? undefined : [null, kernel[0]];
    },
  },
});
