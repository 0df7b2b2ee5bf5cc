/**
 * The Layer contract. Every layer (Dense, LSTM, and later ones) is used the same way:
 *
 *   layer.build(inputShape)          create the weights for an input shape (called by forward if needed)
 *   y  = layer.forward(x)            compute the output, keeping what backward needs
 *   dx = layer.backward(dy)          dL/dx from dL/dy; fills the parameter gradients
 *   layer.getGradients()             dL/dweights of the last backward, in getWeights() order
 *   layer.getWeights() / setWeights(ws), countParams(), computeOutputShape(inputShape)
 *   layer.resetStates(states?)       for stateful layers; a no-op elsewhere
 *
 * Shapes include the batch axis first; `null` stands for a size not known until data arrives.
 * `backward(dy)` *replaces* the gradients with those of this call.
 */
import { checkDType, type DType } from '../tensor/alloc.js';
import { Tensor, formatShape, tensor, type TensorLike } from '../tensor/tensor.js';
import { checkPositiveInteger } from '../base/options.js';

export type Shape = (number | null)[];

/**
 * The keys of the layers' unchecked forward and backward, for the model's own loops only (not
 * exported from src/index.ts). The public `forward` / `backward` check their argument, call
 * these, and copy the result out; the model has checked its data once per call, so it calls them
 * directly and reads the results in place:
 *
 *   layer[forwardTrusted](x, mask, training)  x: a checked Tensor of the layer's dtype and input shape;
 *                                         training: true in fit / trainOnBatch / computeGradients,
 *                                         false in predict / evaluate (Keras' `training` argument)
 *   layer[backwardTrusted](dy, needDx)    dy shaped like the last output; dL/dx only if needDx
 *
 * Their results live in the layer's own buffers, reused from call to call: valid until the
 * layer's next forward (backward) call.
 */
export const forwardTrusted: unique symbol = Symbol('forwardTrusted');
export const backwardTrusted: unique symbol = Symbol('backwardTrusted');
export const outputMask: unique symbol = Symbol('outputMask');

export interface ForwardOptions {
  /**
   * True while training (Keras' `training` argument). Dropout drops only then; the other layers
   * compute the same either way and always keep what backward needs.
   */
  training?: boolean;
}

/** Options every layer accepts, under their Keras names. */
export interface BaseLayerOptions {
  name?: string;
  dtype?: DType;
  /** Input shape without the batch axis, e.g. [timeSteps, features]; null for a size that varies. */
  inputShape?: (number | null)[] | null;
  /** Input shape with a fixed batch size, e.g. [1, 1, 5]. Required on the first layer of a stateful model. */
  batchInputShape?: (number | null)[] | null;
}

export const BASE_LAYER_OPTION_KEYS = ['name', 'dtype', 'inputShape', 'batchInputShape'] as const;

/** The serialisable description of a layer: its class name and every config field. */
export interface LayerConfig {
  className: string;
  config: Record<string, unknown>;
}

const nameCounters = new Map<string, number>();

/** Keras-style unique names: lstm_1, lstm_2, dense_1, ... */
export function uniqueLayerName(prefix: string): string {
  const next = (nameCounters.get(prefix) ?? 0) + 1;
  nameCounters.set(prefix, next);
  return `${prefix}_${next}`;
}

export abstract class Layer {
  readonly name: string;
  readonly dtype: DType;
  /** Declared input shape including the batch axis (null when not fixed), if one was given. */
  readonly batchInputShape: Shape | undefined;
  /** The full input shape the layer was built for (batch axis null unless fixed). */
  protected builtInputShape: Shape | undefined;

  protected constructor(options: BaseLayerOptions, namePrefix: string) {
    this.name = options.name ?? uniqueLayerName(namePrefix);
    if (typeof this.name !== 'string' || this.name.length === 0) {
      throw new TypeError(`${namePrefix}: name must be a non-empty string, got ${JSON.stringify(options.name)}`);
    }
    this.dtype = options.dtype === undefined ? 'float32' : checkDType(options.dtype, `${namePrefix}: dtype`);
    // null means "not given" (serialised configs write batchInputShape: null for a layer without one).
    const batchInputShape = options.batchInputShape ?? undefined;
    const inputShape = options.inputShape ?? undefined;
    if (batchInputShape !== undefined && inputShape !== undefined) {
      throw new TypeError(`${namePrefix}: give inputShape or batchInputShape, not both`);
    }
    if (batchInputShape !== undefined) {
      this.batchInputShape = checkShapeOption(batchInputShape, `${namePrefix}: batchInputShape`);
    } else if (inputShape !== undefined) {
      this.batchInputShape = [null, ...checkShapeOption(inputShape, `${namePrefix}: inputShape`)];
    }
  }

  get built(): boolean {
    return this.builtInputShape !== undefined;
  }

  /** The shape this layer was built for, batch axis included. */
  get inputShape(): Shape | undefined {
    return this.builtInputShape === undefined ? undefined : [...this.builtInputShape];
  }

  /** Create the weights for inputs of this shape (batch axis first, may be null). */
  abstract build(inputShape: Shape): void;

  abstract computeOutputShape(inputShape: Shape): Shape;

  abstract forward(x: Tensor, options?: ForwardOptions): Tensor;

  abstract backward(dy: Tensor): Tensor;

  /**
   * forward without checks; the output may be the layer's own buffer (see forwardTrusted). LSTM
   * and Dense override it; a user's Layer subclass gets its public forward here, so it works in
   * a Sequential model as it is. The model passes `training` (true in its training step and in
   * computeGradients, false in predict and evaluate), as Keras passes it to call().
   */
  [forwardTrusted](x: Tensor, _inputMask?: Uint8Array, training = true): Tensor {
    return this.forward(x, { training });
  }

  /**
   * Masking, as Keras passes a mask from layer to layer: the per-step mask of the last forward's
   * output, [B, T] batch-major with 1 at a masked step, given the one its input came with (the
   * second argument of forwardTrusted); undefined when no step is masked or the output has no
   * time axis. The model averages the loss over the unmasked steps of the last layer's output.
   * Default: the mask ends here (a user's layer does not pass it on); LSTM and Dense override it.
   */
  [outputMask](_inputMask: Uint8Array | undefined): Uint8Array | undefined {
    return undefined;
  }

  /** backward without checks; dL/dx, or undefined when not needed (see backwardTrusted). Default: the public backward. */
  [backwardTrusted](dy: Tensor, _needInputGradient: boolean): Tensor | undefined {
    return this.backward(dy);
  }

  /**
   * The live weight tensors, in getWeights() order. Optimizers update these in place; in a model's
   * training step Adam may move their storage into its WebAssembly memory (the same Tensor, a new
   * `data` array), so read `tensor.data` when you need it rather than keeping the array.
   */
  abstract get trainableWeights(): Tensor[];

  /** Keras weight names in getWeights() order: 'kernel', 'recurrent_kernel', 'bias'. */
  abstract get weightNames(): string[];

  /** Gradients from the last backward, in getWeights() order (live buffers, overwritten by the next backward). */
  abstract getGradients(): Tensor[];

  abstract getConfig(): LayerConfig;

  /** Copies of the weights, in Keras order. */
  getWeights(): Tensor[] {
    this.assertBuilt('getWeights');
    return this.trainableWeights.map((w) => w.clone());
  }

  /**
   * Replace the weights (copied in, converted to the layer's dtype). Every shape is checked
   * before anything is written, so a failed call leaves the layer unchanged.
   */
  setWeights(weights: TensorLike[]): void {
    this.assertBuilt('setWeights');
    const live = this.trainableWeights;
    const names = this.weightNames;
    if (!Array.isArray(weights) || weights.length !== live.length) {
      throw new RangeError(`${this.name}.setWeights: expected ${live.length} weights (${names.join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    const incoming = weights.map((w, i) => {
      const t = w instanceof Tensor ? w : tensor(w, undefined, live[i].dtype);
      const expected = live[i].shape;
      if (t.shape.length !== expected.length || t.shape.some((d, axis) => d !== expected[axis])) {
        throw new RangeError(`${this.name}.setWeights: weight ${i} (${names[i]}) has shape ${formatShape(t.shape)}, expected ${formatShape(expected)}`);
      }
      return t;
    });
    incoming.forEach((t, i) => {
      for (let j = 0; j < t.data.length; j++) {
        if (!Number.isFinite(t.data[j])) {
          throw new RangeError(`${this.name}.setWeights: weight ${i} (${names[i]}) holds ${t.data[j]} at flat index ${j}; expected finite numbers`);
        }
      }
    });
    incoming.forEach((t, i) => live[i].data.set(t.data));
  }

  countParams(): number {
    this.assertBuilt('countParams');
    return this.trainableWeights.reduce((n, w) => n + w.size, 0);
  }

  /** Stateful layers return copies of their carried states; others return []. */
  getStates(): Tensor[] {
    return [];
  }

  /** Zero the carried states, or set them to the given values. A no-op for stateless layers. */
  resetStates(_states?: TensorLike[]): void {}

  get stateful(): boolean {
    return false;
  }

  protected assertBuilt(where: string): void {
    if (!this.built) {
      throw new Error(`${this.name}.${where}: the layer has not been built yet; call build(inputShape) or forward(x) first`);
    }
  }
}

function checkShapeOption(shape: unknown, argument: string): Shape {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new TypeError(`${argument}: expected a non-empty array of sizes, got ${JSON.stringify(shape)}`);
  }
  return shape.map((d, axis) => (d === null ? null : checkPositiveInteger(d, `${argument}[${axis}]`)));
}
