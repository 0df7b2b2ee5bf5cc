// Shapes: B = batch, T = time steps, I = input features, H = units of each direction.
/**
 * Bidirectional: Keras' wrapper that runs a recurrent layer over the sequence both ways and
 * merges the two outputs (keras/src/layers/rnn/bidirectional.py, Keras 3.15):
 *
 *   yF = forwardLayer(x)        the wrapped layer, reading x_1 … x_T
 *   yB = backwardLayer(x)       its copy with goBackwards flipped, reading x_T … x_1; with
 *                               returnSequences its output comes in that order, so it is
 *                               reversed back: yB'[t] = yB[T-1-t]
 *   y  = merge(yF, yB')         'concat' [yF | yB'] (2H), 'sum' yF + yB', 'ave' (yF + yB') / 2,
 *                               'mul' yF ⊙ yB' (H)
 *
 *   new Bidirectional(new LSTM({ units: 50, returnSequences: true }), { mergeMode: 'concat' })
 *
 * As in Keras:
 *   - the two inner layers are made afresh from the wrapped layer's config (its weights are not
 *     reused), named forward_<name> and backward_<name>; `backwardLayer` gives the backward one
 *     yourself (its goBackwards must differ from the layer's; stateful, returnSequences and units
 *     must agree), also made afresh from its config, its name kept;
 *   - weights: the forward layer's, then the backward layer's (getWeights order, Keras' too), named
 *     'forward_lstm_1/kernel', ... under the wrapper's name: 'bidirectional_1/forward_lstm_1/kernel';
 *   - masking: the mask (the inner layers' maskValue, Keras' Masking in front of the wrapper, or the
 *     one the layer below passes on) reaches both directions, and goes on with returnSequences.
 *     Keras 3 sets `zero_output_for_mask = return_sequences` on both inner layers, so with
 *     returnSequences a masked step OUTPUTS ZEROS in each direction (where a lone recurrent layer
 *     repeats its previous output; the state still carries over in both). Both directions share
 *     the mask, and every merge of two zeros is zero, so that is done here on the merged output:
 *     y[b, t] = 0 at a masked step, and backward passes nothing back from it (dyF = dyB = 0 there),
 *     exactly what zeroing each direction before the merge gives, for every merge mode.
 *     Without returnSequences nothing is zeroed (Keras neither): each direction's last output is
 *     its state after its last unmasked step;
 *   - stateful: both inner layers carry their state (the backward one's is its state after step 1,
 *     the last it processed); getStates / resetStates(states) list the forward layer's, then the
 *     backward layer's;
 *   - mergeMode null (Keras returns the two outputs as a list) is refused: a Sequential passes one
 *     tensor from layer to layer.
 *
 * Backward (the merge's chain rule, then each direction's BPTT, recurrent/rnn.ts):
 *   concat  dyF = dy[:, :, :H],  dyB' = dy[:, :, H:]
 *   sum     dyF = dy,            dyB' = dy
 *   ave     dyF = dy / 2,        dyB' = dy / 2
 *   mul     dyF = dy ⊙ yB',      dyB' = dy ⊙ yF
 *   dyB[t] = dyB'[T-1-t] (the backward layer's order); dx = dxF + dxB (each in x's order).
 *
 * TF.js has Bidirectional, but does not pass the mask through it (tfjs issue 2279): masked
 * predictions agree with Keras 3 (test/bidirectional-keras-reference.test.ts), unmasked ones with
 * TF.js as well. In the Keras config form (TF.js Layers format) the wrapped layer is written under
 * its own name (Keras and TF.js name the inner layers forward_<name>, backward_<name> again on
 * reading, so the weight names hold), and backward_layer only for a backward layer of its own,
 * which TF.js 4.22 lacks: tf.loadLayersModel then refuses the model (its backward weights have
 * no target). Keras 3's forced zero_output_for_mask in the inner configs is read and set aside.
 */
import { allocate, type DType, type TypedArray } from '../tensor/alloc.js';
import { Tensor, assertFinite, describe, formatShape, sameShape, toTensor, type TensorLike } from '../tensor/tensor.js';
import { checkOptions } from '../base/options.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, outputMask, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { RNN } from './recurrent/rnn.js';
import { checkKerasOrigin, isPlainObject, KerasConfigReader } from './keras-config.js';
import { kerasLayerRegistration, kerasVariablePaths, layerFromConfig, layerRegistration, registerLayer, type KerasLayerMapping } from './registry.js';

export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave';

const MERGE_MODES: readonly BidirectionalMergeMode[] = ['concat', 'sum', 'mul', 'ave'];

export interface BidirectionalOptions extends BaseLayerOptions {
  /** The recurrent layer to run both ways (LSTM, GRU, SimpleRNN), or its config { className, config }. Required. */
  layer: RNN | LayerConfig;
  /** How the two directions' outputs combine. Default 'concat' (Keras' default). null is refused (see above). */
  mergeMode?: BidirectionalMergeMode | null;
  /** The layer for the backward direction (Keras' backward_layer), or its config; default: the layer with goBackwards flipped. */
  backwardLayer?: RNN | LayerConfig | null;
  /**
   * Keras' Masking(mask_value) in front of the wrapper: both directions skip the steps whose
   * features all equal it. Default: the wrapped layer's own maskValue (null: no masking).
   */
  maskValue?: number | null;
}

export const BIDIRECTIONAL_OPTION_KEYS = [...BASE_LAYER_OPTION_KEYS, 'layer', 'mergeMode', 'backwardLayer', 'maskValue'] as const;

/** Python's str.removeprefix. */
function removePrefix(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** A layer's config from an instance or a { className, config }. */
function configOf(layer: unknown, argument: string): LayerConfig {
  if (layer instanceof RNN) return layer.getConfig();
  if (layer instanceof Layer) throw new TypeError(`${argument}: expected a recurrent layer (LSTM, GRU, SimpleRNN), got ${layer.getConfig().className} ${layer.name}`);
  if (isPlainObject(layer) && typeof layer.className === 'string' && isPlainObject(layer.config)) return { className: layer.className, config: { ...layer.config } };
  throw new TypeError(`${argument}: expected a recurrent layer (new LSTM(...), new GRU(...), new SimpleRNN(...)) or its config { className, config }, got ${describe(layer)}`);
}

/** The forward layer's config as Keras makes it: named forward_<name>, the wrapper's dtype and maskValue, no input shape of its own. */
function innerConfig(base: LayerConfig, name: string, dtype: DType, maskValue: number | null, goBackwards?: boolean): LayerConfig {
  const config: Record<string, unknown> = { ...base.config, name, dtype, maskValue, batchInputShape: null };
  if (goBackwards !== undefined) config.goBackwards = goBackwards;
  return { className: base.className, config };
}

interface Cache {
  B: number;
  T: number;
  output: Tensor; //   [B, T, 2H | H] or [B, 2H | H]  the merged output
  dyF: Tensor; //      like the forward layer's output   dL/dyF
  dyB: Tensor; //      like the backward layer's output  dL/dyB, in the backward layer's order
  dx: Tensor; //       [B, T, I]   dxF + dxB
}

export class Bidirectional extends Layer {
  readonly mergeMode: BidirectionalMergeMode;
  /** The layer run from x_1 to x_T (Keras' forward_layer). */
  readonly forwardLayer: RNN;
  /** The layer run from x_T to x_1 (Keras' backward_layer). */
  readonly backwardLayer: RNN;
  /** The masking value both directions use, or null. */
  readonly maskValue: number | null;
  readonly returnSequences: boolean;
  readonly units: number;

  private cache: Cache | undefined;
  /** The last forward's outputs of both directions (the inner layers' buffers) and its mask ([B, T], 1 = masked, x's order; undefined when no step is masked). */
  private last: { yF: TypedArray; yB: TypedArray; mask: Uint8Array | undefined } | undefined;

  /** `new Bidirectional(layer, { mergeMode, backwardLayer })` as in Keras, or `new Bidirectional({ layer, mergeMode, ... })` (the config form). */
  constructor(layerOrOptions: RNN | BidirectionalOptions, more?: Omit<BidirectionalOptions, 'layer'>) {
    if ((layerOrOptions as unknown) instanceof Layer && !(layerOrOptions instanceof RNN)) configOf(layerOrOptions, 'Bidirectional: layer'); // throws, naming the layer
    const options = layerOrOptions instanceof RNN ? { ...(more ?? {}), layer: layerOrOptions } : layerOrOptions;
    if (!(layerOrOptions instanceof RNN) && more !== undefined) throw new TypeError(`Bidirectional: got options twice; expected new Bidirectional(layer, options) or new Bidirectional({ layer, ...options })`);
    const given = checkOptions(options, BIDIRECTIONAL_OPTION_KEYS, `Bidirectional${typeof options?.name === 'string' ? ` ${options.name}` : ''}`) as unknown as BidirectionalOptions;
    if (given.layer === undefined) throw new TypeError('Bidirectional: layer is required; expected a recurrent layer, e.g. new Bidirectional({ layer: new LSTM({ units: 8 }) })');
    const base = configOf(given.layer, 'Bidirectional: layer');
    const backBase = given.backwardLayer === undefined || given.backwardLayer === null ? undefined : configOf(given.backwardLayer, 'Bidirectional: backwardLayer');
    // Without an input shape of its own, the wrapper takes the wrapped layer's (Keras: Bidirectional(LSTM(..., input_shape=...))).
    const inherited = given.inputShape === undefined && given.batchInputShape === undefined && Array.isArray(base.config.batchInputShape) ? { batchInputShape: base.config.batchInputShape as Shape } : {};
    super({ name: given.name, dtype: given.dtype ?? (base.config.dtype as DType | undefined), inputShape: given.inputShape, batchInputShape: given.batchInputShape, ...inherited }, 'bidirectional');
    const where = `Bidirectional ${this.name}`;

    const mode = given.mergeMode === undefined ? 'concat' : given.mergeMode;
    if (mode === null) {
      throw new TypeError(`${where}: mergeMode null (Keras returns the two directions' outputs as a list) is not supported: a Sequential model passes one tensor from layer to layer; expected 'concat', 'sum', 'mul' or 'ave'`);
    }
    if (!MERGE_MODES.includes(mode)) throw new TypeError(`${where}: mergeMode: expected 'concat', 'sum', 'mul' or 'ave', got ${describe(mode)}`);
    this.mergeMode = mode;

    // One mask for both directions: the wrapper's maskValue, else the inner layers' (which must agree).
    const inner = [base.config.maskValue ?? null, backBase?.config.maskValue ?? null].filter((v) => v !== null) as number[];
    const maskValue: number | null = given.maskValue ?? inner[0] ?? null;
    if (inner.some((v) => v !== maskValue)) {
      throw new TypeError(`${where}: maskValue: the layers mask ${inner.map((v) => describe(v)).join(' and ')}${given.maskValue === undefined || given.maskValue === null ? '' : `, the wrapper ${describe(given.maskValue)}`}; expected one masking value for both directions (Keras passes one mask to both)`);
    }

    const baseName = String(base.config.name);
    const forwardConfig = innerConfig(base, `forward_${removePrefix(baseName, 'forward_')}`, this.dtype, maskValue);
    const backwardConfig = backBase === undefined
      ? innerConfig(base, `backward_${removePrefix(baseName, 'backward_')}`, this.dtype, maskValue, base.config.goBackwards !== true)
      : innerConfig(backBase, String(backBase.config.name), this.dtype, maskValue);
    const make = (config: LayerConfig, argument: string): RNN => {
      let layer: Layer;
      try {
        layer = layerFromConfig(config, `${where}: ${argument}`);
      } catch (error) {
        throw new TypeError(`${where}: ${argument}: ${(error as Error).message}`, { cause: error });
      }
      if (!(layer instanceof RNN)) throw new TypeError(`${where}: ${argument}: expected a recurrent layer (LSTM, GRU, SimpleRNN), got a ${config.className}`);
      return layer;
    };
    this.forwardLayer = make(forwardConfig, 'layer');
    this.backwardLayer = make(backwardConfig, 'backwardLayer');
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    if (f.goBackwards === b.goBackwards) {
      throw new TypeError(`${where}: backwardLayer: the forward and backward layers must have different goBackwards, got ${f.goBackwards} for both`);
    }
    for (const key of ['stateful', 'returnSequences', 'units'] as const) {
      if (f[key] !== b[key]) throw new TypeError(`${where}: backwardLayer: ${key} is ${describe(b[key])}, the layer's ${describe(f[key])}; expected the same for both directions`);
    }
    if (f.name === b.name) throw new TypeError(`${where}: backwardLayer: named '${b.name}' like the forward layer; expected two names (its weights are named by them)`);
    this.maskValue = maskValue;
    this.returnSequences = f.returnSequences;
    this.units = f.units;
    const declared = this.batchInputShape;
    if (declared !== undefined && declared.length !== 3) {
      throw new RangeError(`${where}: the input shape ${formatShape(declared)} has rank ${declared.length}; expected [batch, timeSteps, features]`);
    }
    if (f.stateful && declared !== undefined && declared[0] === null) {
      throw new TypeError(`${where}: stateful layers need the batch size fixed; got input shape ${formatShape(declared)}, expected batchInputShape [batchSize, timeSteps, features]`);
    }
  }

  override get stateful(): boolean {
    return this.forwardLayer.stateful;
  }

  build(inputShape: Shape): void {
    const where = `Bidirectional ${this.name}.build`;
    if (!Array.isArray(inputShape) || inputShape.length !== 3) {
      throw new RangeError(`${where}: inputShape is ${Array.isArray(inputShape) ? formatShape(inputShape) : describe(inputShape)}; expected [batch, timeSteps, features]`);
    }
    // Keras' order: the forward layer's weights are drawn first, then the backward layer's.
    this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
    this.builtInputShape = this.forwardLayer.inputShape;
  }

  computeOutputShape(inputShape: Shape): Shape {
    const shape = this.forwardLayer.computeOutputShape(inputShape);
    if (this.mergeMode === 'concat') shape[shape.length - 1] = 2 * this.units;
    return shape;
  }

  get trainableWeights(): Tensor[] {
    return [...this.forwardLayer.trainableWeights, ...this.backwardLayer.trainableWeights];
  }

  /** 'forward_lstm_1/kernel', ..., 'backward_lstm_1/bias' (the model puts the wrapper's name in front, as Keras and TF.js name them). */
  get weightNames(): string[] {
    return [this.forwardLayer, this.backwardLayer].flatMap((l) => l.weightNames.map((n) => `${l.name}/${n}`));
  }

  getGradients(): Tensor[] {
    return [...this.forwardLayer.getGradients(), ...this.backwardLayer.getGradients()];
  }

  // ---------------------------------------------------------------------------------------
  // Forward
  // ---------------------------------------------------------------------------------------

  /** x: [B, T, I] → the merged output (a new tensor): [B, T, 2H | H] with returnSequences, else [B, 2H | H]. */
  forward(input: Tensor, _options?: ForwardOptions): Tensor {
    return this[forwardTrusted](this.checkInput(input)).clone();
  }

  override [forwardTrusted](x: Tensor, inputMask?: Uint8Array): Tensor {
    const [B, T] = x.shape as [number, number, number];
    const H = this.units;
    const seq = this.returnSequences;
    const yF = this.forwardLayer[forwardTrusted](x, inputMask).data; //  [B, T, H] (x's order) or [B, H]
    const yB = this.backwardLayer[forwardTrusted](x, inputMask).data; // [B, T, H] (reversed) or [B, H]
    // The mask both directions used, in x's order (undefined without a masked step, or without returnSequences).
    const mask = seq ? this.forwardLayer[outputMask]() : undefined;
    const cache = this.cacheFor(B, T, x.shape[2] as number);
    const y = cache.output.data;
    const steps = seq ? T : 1;
    const W = this.mergeMode === 'concat' ? 2 * H : H; // the merged row's width
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < steps; t++) {
        const out = (b * steps + t) * W; //                      y[b, t]
        if (mask !== undefined && mask[b * T + t] === 1) {
          y.fill(0, out, out + W); //                            Keras 3: a masked step outputs zeros (zero_output_for_mask)
          continue;
        }
        const f = (b * steps + t) * H; //                        yF[b, t]
        const r = (b * steps + (seq ? T - 1 - t : 0)) * H; //    yB'[b, t] = yB[b, T-1-t]
        switch (this.mergeMode) {
          case 'concat':
            for (let j = 0; j < H; j++) {
              y[out + j] = yF[f + j];
              y[out + H + j] = yB[r + j];
            }
            break;
          case 'sum':
            for (let j = 0; j < H; j++) y[out + j] = yF[f + j] + yB[r + j];
            break;
          case 'ave':
            for (let j = 0; j < H; j++) y[out + j] = (yF[f + j] + yB[r + j]) / 2;
            break;
          case 'mul':
            for (let j = 0; j < H; j++) y[out + j] = yF[f + j] * yB[r + j];
            break;
        }
      }
    }
    this.last = { yF, yB, mask };
    return cache.output;
  }

  /** The mask goes on with returnSequences: the input's, in the input's order (Keras' compute_mask). */
  override [outputMask](): Uint8Array | undefined {
    return this.returnSequences ? this.last?.mask : undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Backward
  // ---------------------------------------------------------------------------------------

  /** dy shaped like the last output → dL/dx [B, T, I] (a new tensor); replaces both layers' gradients. */
  backward(outputGradient: Tensor): Tensor {
    const cache = this.cache;
    if (cache === undefined || this.last === undefined) {
      throw new Error(`Bidirectional ${this.name}.backward: there is no forward pass to differentiate; call forward(x) first`);
    }
    const argument = `Bidirectional ${this.name}.backward: output gradient dy`;
    const dy = toTensor(outputGradient, argument, this.dtype);
    if (!sameShape(dy.shape, cache.output.shape)) {
      throw new RangeError(`${argument} has shape ${formatShape(dy.shape)}; expected ${formatShape(cache.output.shape)}, the shape of the last forward's output`);
    }
    assertFinite(dy, argument);
    return this[backwardTrusted](dy, true)!.clone();
  }

  override [backwardTrusted](outputGradient: Tensor, needInputGradient: boolean): Tensor | undefined {
    const cache = this.cache!;
    const { yF, yB, mask } = this.last!;
    const { B, T } = cache;
    const H = this.units;
    const seq = this.returnSequences;
    const steps = seq ? T : 1;
    const W = this.mergeMode === 'concat' ? 2 * H : H;
    const dy = outputGradient.data;
    const dyF = cache.dyF.data;
    const dyB = cache.dyB.data;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < steps; t++) {
        const out = (b * steps + t) * W;
        const f = (b * steps + t) * H;
        const r = (b * steps + (seq ? T - 1 - t : 0)) * H; // the backward layer's step for x's step t
        if (mask !== undefined && mask[b * T + t] === 1) {
          // y[b, t] = 0 whatever the directions computed: nothing flows back into them from it.
          dyF.fill(0, f, f + H);
          dyB.fill(0, r, r + H);
          continue;
        }
        switch (this.mergeMode) {
          case 'concat': // ∂ of y = [yF | yB']
            for (let j = 0; j < H; j++) {
              dyF[f + j] = dy[out + j];
              dyB[r + j] = dy[out + H + j];
            }
            break;
          case 'sum': // ∂ of y = yF + yB'
            for (let j = 0; j < H; j++) {
              dyF[f + j] = dy[out + j];
              dyB[r + j] = dy[out + j];
            }
            break;
          case 'ave': // ∂ of y = (yF + yB') / 2
            for (let j = 0; j < H; j++) {
              dyF[f + j] = dy[out + j] / 2;
              dyB[r + j] = dy[out + j] / 2;
            }
            break;
          case 'mul': // ∂ of y = yF ⊙ yB'
            for (let j = 0; j < H; j++) {
              dyF[f + j] = dy[out + j] * yB[r + j];
              dyB[r + j] = dy[out + j] * yF[f + j];
            }
            break;
        }
      }
    }
    // Each direction's BPTT (recurrent/rnn.ts); dL/dx is the sum of both, each already in x's order.
    const dxF = this.forwardLayer[backwardTrusted](cache.dyF, needInputGradient);
    const dxB = this.backwardLayer[backwardTrusted](cache.dyB, needInputGradient);
    if (!needInputGradient) return undefined;
    const dx = cache.dx.data;
    const a = dxF!.data;
    const c = dxB!.data;
    for (let i = 0; i < dx.length; i++) dx[i] = a[i] + c[i];
    return cache.dx;
  }

  // ---------------------------------------------------------------------------------------
  // State, weights, config
  // ---------------------------------------------------------------------------------------

  /** The forward layer's carried states, then the backward layer's ([hF, cF, hB, cB] for LSTMs); [] when not stateful. */
  override getStates(): Tensor[] {
    return [...this.forwardLayer.getStates(), ...this.backwardLayer.getStates()];
  }

  /** Zero both layers' carried states, or set them: the forward layer's, then the backward layer's, as getStates lists them. */
  override resetStates(states?: TensorLike[]): void {
    if (states === undefined) {
      this.forwardLayer.resetStates();
      this.backwardLayer.resetStates();
      return;
    }
    const n = this.forwardLayer.getStates().length;
    const m = this.backwardLayer.getStates().length;
    if (!Array.isArray(states) || states.length !== n + m || n + m === 0) {
      throw new TypeError(`Bidirectional ${this.name}.resetStates: states is ${describe(states)}; expected ${n + m === 0 ? 'no argument (the layer is not stateful, or not built yet)' : `${n + m} tensors, the forward layer's ${n} then the backward layer's ${m}`}`);
    }
    const before = this.forwardLayer.getStates();
    this.forwardLayer.resetStates(states.slice(0, n));
    try {
      this.backwardLayer.resetStates(states.slice(n));
    } catch (error) {
      this.forwardLayer.resetStates(before); // a failed call changes nothing
      throw error;
    }
  }

  /** Both layers' weights are checked before any is written. */
  override setWeights(weights: TensorLike[]): void {
    this.assertBuilt('setWeights');
    const n = this.forwardLayer.trainableWeights.length;
    const total = n + this.backwardLayer.trainableWeights.length;
    if (!Array.isArray(weights) || weights.length !== total) {
      throw new RangeError(`${this.name}.setWeights: expected ${total} weights (${this.weightNames.join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    const before = this.forwardLayer.getWeights();
    this.forwardLayer.setWeights(weights.slice(0, n));
    try {
      this.backwardLayer.setWeights(weights.slice(n));
    } catch (error) {
      this.forwardLayer.setWeights(before);
      throw error;
    }
  }

  getConfig(): LayerConfig {
    return {
      className: 'Bidirectional',
      config: {
        name: this.name,
        layer: this.forwardLayer.getConfig(),
        mergeMode: this.mergeMode,
        backwardLayer: this.backwardLayer.getConfig(),
        maskValue: this.maskValue,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }

  // ---------------------------------------------------------------------------------------
  // Checks and buffers
  // ---------------------------------------------------------------------------------------

  private checkInput(input: unknown): Tensor {
    const argument = `Bidirectional ${this.name}: input x`;
    const x = toTensor(input, argument, this.dtype);
    if (x.rank !== 3) throw new RangeError(`${argument} has shape ${formatShape(x.shape)}; expected rank 3, [batch, timeSteps, features]`);
    const [B, T, I] = x.shape as [number, number, number];
    if (B === 0 || T === 0) throw new RangeError(`${argument} has shape ${formatShape(x.shape)}; expected at least one sample and one time step`);
    const expectedI = this.builtInputShape?.[2] ?? this.batchInputShape?.[2];
    if (expectedI !== undefined && expectedI !== null && I !== expectedI) {
      throw new RangeError(`${argument} has shape ${formatShape(x.shape)} with ${I} features; expected ${expectedI} features, shape [batch, timeSteps, ${expectedI}]`);
    }
    const fixedBatch = this.forwardLayer.states[0]?.shape[0] ?? (this.stateful ? this.batchInputShape?.[0] : undefined);
    if (fixedBatch !== undefined && fixedBatch !== null && B !== fixedBatch) {
      throw new RangeError(`${argument} has batch size ${B} (shape ${formatShape(x.shape)}); expected ${fixedBatch}: a stateful layer's batch size is fixed by its batchInputShape`);
    }
    assertFinite(x, argument);
    if (!this.built) {
      const declared = this.batchInputShape;
      this.build(declared === undefined ? [null, null, I] : [declared[0], declared[1], I]);
    }
    return x;
  }

  private cacheFor(B: number, T: number, I: number): Cache {
    if (this.cache !== undefined && this.cache.B === B && this.cache.T === T) return this.cache;
    const H = this.units;
    const W = this.mergeMode === 'concat' ? 2 * H : H;
    const d = this.dtype;
    const seq = this.returnSequences;
    const shape = (width: number) => (seq ? [B, T, width] : [B, width]);
    const size = (width: number) => (seq ? B * T * width : B * width);
    this.cache = {
      B,
      T,
      output: new Tensor(allocate(d, size(W)), shape(W)),
      dyF: new Tensor(allocate(d, size(H)), shape(H)),
      dyB: new Tensor(allocate(d, size(H)), shape(H)),
      dx: new Tensor(allocate(d, B * T * I), [B, T, I]),
    };
    return this.cache;
  }
}

// ---------------------------------------------------------------------------------------------
// Keras config mapping (TF.js Layers format, Keras files): { layer: { class_name, config },
// merge_mode, backward_layer? }, the nested layers through their own registered mappings.
// ---------------------------------------------------------------------------------------------

/** A nested layer in Keras config form, through its class's registered mapping. */
function nestedToKeras(layer: LayerConfig, name: string): Record<string, unknown> {
  const keras = layerRegistration(layer.className)?.keras;
  if (keras === undefined) throw new TypeError(`Bidirectional: the wrapped ${layer.className} has no Keras mapping`);
  // module and registered_name as Keras 3 nests a layer (its deserializer needs them; TF.js ignores them).
  return { module: 'keras.layers', class_name: keras.className ?? layer.className, config: { name, trainable: true, dtype: 'float32', ...keras.toKerasConfig(layer.config) }, registered_name: null };
}

/** A nested Keras layer config → its lstm-ts LayerConfig (every field read, as the container reads a layer). */
function nestedFromKeras(value: unknown, where: string, kerasVersion: string | undefined): LayerConfig {
  if (!isPlainObject(value) || typeof value.class_name !== 'string' || !isPlainObject(value.config)) {
    throw new TypeError(`${where}: expected a layer config { class_name, config }, got ${describe(value)}`);
  }
  const frame = new KerasConfigReader(value, where);
  for (const key of ['class_name', 'config', 'module', 'registered_name', 'build_config']) frame.take(key);
  checkKerasOrigin(value, where);
  frame.finish();
  const registration = kerasLayerRegistration(value.class_name);
  if (registration === undefined || registration.keras?.maskOption !== 'maskValue') {
    throw new TypeError(`${where}: Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN) here, got '${value.class_name}'`);
  }
  // Keras 3 forces zero_output_for_mask = return_sequences on the inner layers of a Bidirectional
  // (whatever the file says); the wrapper does that here, so the field is read and set aside.
  const config = { ...value.config };
  delete config.zero_output_for_mask;
  const r = new KerasConfigReader(config, `${where} (${value.class_name})`, kerasVersion);
  const name = r.take('name');
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${r.where}: name: expected the layer's name (weights are matched by it), got ${describe(name)}`);
  r.expect('trainable', (v) => v === true || v === undefined || v === null, 'true (frozen layers are not supported)');
  r.dtype();
  const batchInputShape = r.shape() ?? null;
  const options = registration.keras.fromKerasConfig(r);
  r.finish();
  return { className: registration.className, config: { name, ...options, batchInputShape } };
}

/** The backward layer Bidirectional makes itself from this forward layer's config, for comparison. */
function mirrorOf(layer: LayerConfig): string {
  const name = `backward_${removePrefix(removePrefix(String(layer.config.name), 'forward_'), 'backward_')}`;
  return JSON.stringify({ ...layer.config, name, goBackwards: layer.config.goBackwards !== true });
}

export const bidirectionalKeras: KerasLayerMapping = {
  toKerasConfig(c) {
    const layer = c.layer as LayerConfig;
    const backward = c.backwardLayer as LayerConfig;
    // The wrapped layer under its own name: Keras and TF.js name the inner layers forward_<name>
    // and backward_<name> again when they read it, so the weights keep their names.
    const base = removePrefix(String(layer.config.name), 'forward_');
    const out: Record<string, unknown> = { layer: nestedToKeras(layer, base), merge_mode: c.mergeMode };
    // A backward layer of its own only when it is not the one the wrapper would make (TF.js 4.22 has no backward_layer).
    if (mirrorOf(layer) !== JSON.stringify(backward.config)) out.backward_layer = nestedToKeras(backward, String(backward.config.name));
    return out;
  },
  fromKerasConfig(r) {
    const layer = nestedFromKeras(r.take('layer'), `${r.where}.layer`, r.kerasVersion);
    const merge = r.take('merge_mode');
    if (merge === null) throw new TypeError(`${r.where}: merge_mode null (the two directions as a list) is not supported: a Sequential model passes one tensor from layer to layer`);
    const backward = r.take('backward_layer');
    const options: Record<string, unknown> = { layer, mergeMode: merge ?? 'concat' };
    if (backward !== undefined && backward !== null) options.backwardLayer = nestedFromKeras(backward, `${r.where}.backward_layer`, r.kerasVersion);
    r.expect('num_constants', (v) => v === undefined || v === null, 'null (constants are not supported)');
    return options;
  },
  maskOption: 'maskValue',
  // Keras 3 keeps them under the inner layers: layers/bidirectional/forward_layer/cell/vars/<i>, …/backward_layer/…
  variablePaths: (layer) => {
    const { forwardLayer, backwardLayer } = layer as Bidirectional;
    return [...kerasVariablePaths(forwardLayer).map((p) => `forward_layer/${p}`), ...kerasVariablePaths(backwardLayer).map((p) => `backward_layer/${p}`)];
  },
};

registerLayer({
  className: 'Bidirectional',
  fromConfig: (config) => new Bidirectional(config as unknown as BidirectionalOptions),
  // The forward layer's weights, then the backward layer's, each by its own class's arithmetic.
  weightShapes: (config, inputShape) => {
    const wrapper = config as { layer?: LayerConfig; backwardLayer?: LayerConfig | null };
    const forward = wrapper.layer;
    if (forward === undefined || !isPlainObject(forward) || !isPlainObject(forward.config)) throw new TypeError(`Bidirectional ${String(config.name)}: layer: expected a layer config { className, config }, got ${describe(forward)}`);
    const backward = wrapper.backwardLayer ?? forward;
    const shapes = (layer: LayerConfig): number[][] => {
      const registration = layerRegistration(layer.className);
      if (registration?.weightShapes === undefined) throw new TypeError(`Bidirectional ${String(config.name)}: cannot wrap a ${String(layer.className)}`);
      return registration.weightShapes(layer.config, inputShape);
    };
    return [...shapes(forward), ...shapes(backward)];
  },
  keras: bidirectionalKeras,
});
