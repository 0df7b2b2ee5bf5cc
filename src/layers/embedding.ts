/**
 * Embedding(inputDim, outputDim): maps each integer index to a learned row of `embeddings`.
 *
 * Shape legend: B batch, T time steps, V = inputDim (the vocabulary size), D = outputDim.
 * Input: [B, T] of indices in [0, V), given as numbers that are integers (a float tensor, as
 * Keras and TF.js take them); anything else is refused, naming the value and its position.
 *
 * | weight     | shape  | Keras name |
 * |------------|--------|------------|
 * | embeddings | [V, D] | embeddings |  (Keras' default initializer RandomUniform(-0.05, 0.05))
 *
 * Forward:   y[b, t, :] = E[x[b, t], :]
 * Backward:  dE = 0;  dE[x[b, t], :] += dy[b, t, :] for every (b, t)   (a scatter-add: a row
 *            used at several steps collects all their gradients)
 *            dx: the output is piecewise constant in x (indices), so dL/dx = 0, returned as zeros.
 *
 * maskZero (default false), as Keras: index 0 marks a padded step; the layer passes the mask
 * [B, T] (1 where x[b, t] = 0) to the layers after it, as a Masking layer does (a recurrent layer
 * skips those steps, Dense and Dropout pass the mask on, the loss leaves them out). Index 0 still
 * has its row in `embeddings` (it is looked up like any other), so V counts it: with maskZero
 * a vocabulary of n words takes inputDim n + 1.
 */
import { allocate } from '../tensor/alloc.js';
import { initialize, resolveInitializer, type InitializerName } from '../tensor/initializers.js';
import { Tensor, formatShape, sameShape, toTensor } from '../tensor/tensor.js';
import { checkBoolean, checkOptions, checkPositiveInteger } from '../base/options.js';
import { kerasInitializer } from './keras-config.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, outputMask, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { registerLayer } from './registry.js';

export interface EmbeddingOptions extends BaseLayerOptions {
  /** The vocabulary size V: indices run from 0 to V − 1. */
  inputDim: number;
  /** The width D of each embedding row. */
  outputDim: number;
  /** Default 'randomUniform' (Keras' RandomUniform(-0.05, 0.05); 'uniform' in Keras 2). */
  embeddingsInitializer?: InitializerName | string;
  /** Index 0 marks a padded step, masked in the layers after this one. Default false. */
  maskZero?: boolean;
}

const EMBEDDING_OPTION_KEYS = [...BASE_LAYER_OPTION_KEYS, 'inputDim', 'outputDim', 'embeddingsInitializer', 'maskZero'];

export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: InitializerName;
  readonly maskZero: boolean;

  private embeddings: Tensor | undefined; // [V, D]
  private dEmbeddings: Tensor | undefined; // [V, D]

  // Kept by forward for backward.
  private indices: Int32Array | undefined; // [B·T] the last forward's indices
  private output: Tensor | undefined; // [B, T, D]
  private dx: Tensor | undefined; // [B, T] zeros
  private mask: Uint8Array | undefined; // [B, T] 1 where the index is 0 (maskZero)
  private lastMasked = 0; // masked steps of the last forward

  constructor(options: EmbeddingOptions) {
    const opts = checkOptions(options, EMBEDDING_OPTION_KEYS, 'Embedding');
    super(opts as BaseLayerOptions, 'embedding');
    this.inputDim = checkPositiveInteger(opts.inputDim, `Embedding ${this.name}: inputDim`);
    this.outputDim = checkPositiveInteger(opts.outputDim, `Embedding ${this.name}: outputDim`);
    this.embeddingsInitializer = resolveInitializer(opts.embeddingsInitializer ?? 'randomUniform', `Embedding ${this.name}: embeddingsInitializer`);
    this.maskZero = opts.maskZero === undefined ? false : checkBoolean(opts.maskZero, `Embedding ${this.name}: maskZero`);
  }

  build(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length !== 2) {
      throw new RangeError(`Embedding ${this.name}: expected an input shape [batch, timeSteps] of indices, got ${formatShape(inputShape)}`);
    }
    if (this.built) return;
    this.embeddings = initialize(this.embeddingsInitializer, [this.inputDim, this.outputDim], this.dtype);
    this.dEmbeddings = new Tensor(allocate(this.dtype, this.inputDim * this.outputDim), [this.inputDim, this.outputDim]);
    this.builtInputShape = [...inputShape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.outputDim];
  }

  get trainableWeights(): Tensor[] {
    this.assertBuilt('trainableWeights');
    return [this.embeddings!];
  }

  get weightNames(): string[] {
    return ['embeddings'];
  }

  getGradients(): Tensor[] {
    this.assertBuilt('getGradients');
    return [this.dEmbeddings!];
  }

  /** y[b, t, :] = embeddings[x[b, t], :]. A new tensor. */
  forward(xLike: Tensor, _options: ForwardOptions = {}): Tensor {
    const x = toTensor(xLike, `Embedding ${this.name}: input x`, this.dtype);
    if (x.rank !== 2) {
      throw new RangeError(`Embedding ${this.name}: input x must have shape [batch, timeSteps] (integer indices), got shape ${formatShape(x.shape)}`);
    }
    this.checkIndices(x);
    if (!this.built) this.build([null, x.shape[1]]); // after every check: a refused x draws no weights
    return this[forwardTrusted](x).clone();
  }

  /**
   * Every entry of x [B, T] an integer in [0, inputDim): else an Error naming the value and its
   * [b, t]. The model calls it on the whole of x before any batch runs (Sequential.readInput), so
   * a bad index in a later batch cannot leave a stateful model's carried states half advanced.
   */
  checkIndices(x: Tensor, argument = `Embedding ${this.name}: input x`): void {
    const T = x.shape[1];
    const data = x.data;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.inputDim) {
        throw new RangeError(`${argument} holds ${v} at [${Math.floor(i / T)}, ${i % T}]; expected integer indices in [0, ${this.inputDim}) (inputDim ${this.inputDim})`);
      }
    }
  }

  /** forward on an x the model checked for finiteness (layer.ts, forwardTrusted); the indices are checked here. */
  override [forwardTrusted](x: Tensor): Tensor {
    this.checkIndices(x);
    const [B, T] = x.shape as [number, number];
    const D = this.outputDim;
    const n = B * T;
    if (this.output === undefined || !sameShape(this.output.shape, [B, T, D])) {
      this.output = new Tensor(allocate(this.dtype, n * D), [B, T, D]);
      this.indices = new Int32Array(n);
      this.mask = new Uint8Array(n);
      this.dx = undefined;
    }
    const idx = this.indices!;
    const E = this.embeddings!.data;
    const y = this.output.data;
    let masked = 0;
    for (let r = 0; r < n; r++) {
      const k = (idx[r] = x.data[r]); // the row of step (b, t), r = b·T + t
      y.set(E.subarray(k * D, (k + 1) * D), r * D); // y[b, t, :] = E[k, :]
      const m = this.maskZero && k === 0 ? 1 : 0;
      this.mask![r] = m;
      masked += m;
    }
    this.lastMasked = masked;
    return this.output;
  }

  /** With maskZero, the [B, T] mask of the steps whose index is 0 (undefined when none is), as Masking passes it (layer.ts, outputMask). */
  override [outputMask](): Uint8Array | undefined {
    return this.lastMasked > 0 ? this.mask : undefined;
  }

  /** Fills dL/dembeddings; returns dL/dx, which is zero (indices are not differentiable). A new tensor. */
  backward(dyLike: Tensor): Tensor {
    if (this.output === undefined) throw new Error(`Embedding ${this.name}.backward: call forward before backward`);
    const dy = toTensor(dyLike, `Embedding ${this.name}.backward: dy`, this.dtype);
    if (!sameShape(dy.shape, this.output.shape)) {
      throw new RangeError(`Embedding ${this.name}.backward: dy has shape ${formatShape(dy.shape)}, expected the output shape ${formatShape(this.output.shape)}`);
    }
    return this[backwardTrusted](dy, true)!.clone();
  }

  /** backward on a checked dy (layer.ts, backwardTrusted). */
  override [backwardTrusted](dy: Tensor, needInputGradient: boolean): Tensor | undefined {
    const D = this.outputDim;
    const idx = this.indices!;
    const dE = this.dEmbeddings!.data;
    const g = dy.data;
    dE.fill(0);
    // dE[x[b, t], :] += dy[b, t, :]   (differentiates y[b, t, :] = E[x[b, t], :])
    for (let r = 0; r < idx.length; r++) {
      const row = idx[r] * D;
      const from = r * D;
      for (let j = 0; j < D; j++) dE[row + j] += g[from + j];
    }
    if (!needInputGradient) return undefined;
    const [B, T] = this.output!.shape;
    return (this.dx ??= new Tensor(allocate(this.dtype, B * T), [B, T])); // zeros: dy/dx = 0 for indices
  }

  getConfig(): LayerConfig {
    return {
      className: 'Embedding',
      config: {
        name: this.name,
        inputDim: this.inputDim,
        outputDim: this.outputDim,
        embeddingsInitializer: this.embeddingsInitializer,
        maskZero: this.maskZero,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }
}

registerLayer({
  className: 'Embedding',
  fromConfig: (config) => new Embedding(config as unknown as EmbeddingOptions),
  // embeddings [V, D]
  weightShapes(config, inputShape) {
    if (inputShape.length !== 2) throw new RangeError(`Embedding ${String(config.name)}: expected an input shape [batch, timeSteps] of indices, got ${formatShape(inputShape)}`);
    return [[config.inputDim as number, config.outputDim as number]];
  },
  keras: {
    toKerasConfig: (c) => ({
      input_dim: c.inputDim,
      output_dim: c.outputDim,
      embeddings_initializer: kerasInitializer(c.embeddingsInitializer),
      embeddings_regularizer: null,
      activity_regularizer: null,
      embeddings_constraint: null,
      mask_zero: c.maskZero,
    }),
    fromKerasConfig(r) {
      const options = {
        inputDim: r.take('input_dim'),
        outputDim: r.take('output_dim'),
        embeddingsInitializer: r.initializer('embeddings_initializer'),
        maskZero: r.take('mask_zero') ?? false,
      };
      r.expectNone(['embeddings_regularizer', 'activity_regularizer', 'embeddings_constraint'], 'regularizers and constraints');
      // Keras 2 / TF.js: input_length only declares T (the batch input shape says it too).
      r.expect('input_length', (v) => v === null || v === undefined || (Number.isSafeInteger(v) && (v as number) > 0), 'null or a positive integer (the number of time steps)');
      r.expect('sparse', (v) => v === false || v === null || v === undefined, 'false (sparse gradients change nothing computed; a sparse Embedding is not supported)');
      r.expect('quantization_config', (v) => v === null || v === undefined, 'null (quantized Embedding layers are not supported)');
      r.expect('lora_rank', (v) => v === null || v === undefined, 'null (LoRA Embedding layers are not supported)');
      r.expect('lora_alpha', (v) => v === null || v === undefined, 'null (LoRA Embedding layers are not supported)');
      return options;
    },
    inputShapeFromWeights: () => [null, null],
  },
});
