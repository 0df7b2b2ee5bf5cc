// Shapes: B = batch, T = time steps, I = input features, H = units (G = 4H, the four gates side by side).
/**
 * The LSTM layer: forward over a whole sequence, and full backpropagation through time (BPTT).
 * docs/bptt.md walks through this file equation by equation.
 */
import { allocate, type TypedArray } from '../tensor/alloc.js';
import { derivativeFromOutput, hardSigmoid, sigmoid } from '../tensor/elementwise.js';
import { sigmoidFloat32, tanhFloat32 } from '../tensor/float32-activations.js';
import { gemm, type MatrixRef } from '../tensor/gemm.js';
import { initialize, resolveInitializer, type InitializerName } from '../tensor/initializers.js';
import { Tensor, assertFinite, describe, formatShape, sameShape, toTensor, type TensorLike } from '../tensor/tensor.js';
import { checkBoolean, checkOptions, checkPositiveInteger } from '../common/options.js';
import { resolveActivation } from './activations.js';
import { LSTMKernel, fusedLSTMShape, fusedLSTMKernelEnabled, prepareLSTMKernel } from './wasm/lstm-wasm.js';
import { BASE_LAYER_OPTION_KEYS, Layer, afterStep, backwardTrusted, beforeStep, forwardTrusted, liveStates, outputMask, stepKernel, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';

/** The cell activation (applied to the candidate g and to c_t). */
export type LSTMActivation = 'tanh' | 'relu' | 'linear';
/** The gate activation σ (applied to i, f and o). */
export type LSTMRecurrentActivation = 'sigmoid' | 'hardSigmoid';
type InitializerSpelling = InitializerName | 'glorot_uniform' | 'glorot_normal';

export interface LSTMOptions extends BaseLayerOptions {
  /** H, the size of the hidden state h and the cell state c. Required. */
  units: number;
  /** The cell activation: 'tanh' (default), 'relu' or 'linear'. */
  activation?: LSTMActivation;
  /** The gate activation: 'sigmoid' (default) or 'hardSigmoid' (also spelled 'hard_sigmoid'). */
  recurrentActivation?: LSTMRecurrentActivation | 'hard_sigmoid';
  /** Default true. Without it the layer has no bias weight at all. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerSpelling;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerSpelling;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpelling;
  /** Default true: after initialisation the forget block of the bias is set to 1. */
  unitForgetBias?: boolean;
  /** Default false: output only the last h, [B, H]; true: every step's h, [B, T, H]. */
  returnSequences?: boolean;
  /**
   * Default false. True: each sample's final (h, c) is the next batch's initial state. Needs the
   * batch size fixed: batchInputShape on this layer, or on the first layer of its model.
   */
  stateful?: boolean;
  /**
   * Default null (no masking). A number: Keras' Masking(mask_value) in front of the layer (0 is
   * Embedding's mask_zero). A time step of a sample whose features ALL equal maskValue is
   * skipped: its (h, c), and its output with returnSequences, copy the previous step's, and it
   * adds nothing to the weight gradients. So a pre-padded sequence gives exactly what the
   * unpadded one gives.
   */
  maskValue?: number | null;
}

const LSTM_OPTION_KEYS = [
  ...BASE_LAYER_OPTION_KEYS,
  'units',
  'activation',
  'recurrentActivation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'unitForgetBias',
  'returnSequences',
  'stateful',
  'maskValue',
] as const;

/**
 * Everything forward keeps for backward, time-major (step t of a buffer is one contiguous
 * [B, ·] block), allocated once per (B, T) and reused by every call with that shape.
 * Slot s of hs / cs holds the state after s steps: slot 0 is (h0, c0), and step t (counting
 * from 0) reads slot t = (h_{t-1}, c_{t-1}) and writes slot t+1 = (h_t, c_t).
 */
interface Cache {
  B: number;
  T: number;
  xT: TypedArray; //      (T, B, I)    the input, time-major
  gates: TypedArray; //   (T, B, 4H)   gates after activation [i|f|c|o] (pre-activation z until the step runs)
  hs: TypedArray; //      (T+1, B, H)  hidden states, slot 0 = h0
  cs: TypedArray; //      (T+1, B, H)  cell states, slot 0 = c0
  actC: TypedArray; //    (T, B, H)    act(c_t)
  dGates: TypedArray; //  (T, B, 4H)   dL/dz, gradients of the pre-activation gates [i|f|c|o]
  output: Tensor; //      [B, T, H] every h_t (returnSequences), or [B, H] h_T: a view of slot T of hs
  dXT: TypedArray; //     (T, B, I)    dL/dx, time-major
  dx: Tensor; //          [B, T, I]    dL/dx, batch-major (what backward returns)
  dh: Tensor; //          [B, H]       dL/dh_t from the steps after t (after the loop: dL/dh0)
  dc: Tensor; //          [B, H]       dL/dc_t from the steps after t (after the loop: dL/dc0)
  // Masking (maskValue, or a mask passed on from the layer below):
  mask: Uint8Array; //                 (T, B)       1 where the step is masked; read only when maskedRows > 0
  maskedRows: number; //                            how many of the T·B steps are masked in the last forward
  unmasked: { x: TypedArray; hPrev: TypedArray; dz: TypedArray } | undefined; // (≤T·B, I | H | 4H) rows of unmasked steps, for dW, dU, db (made when first needed)
  outputMask: Uint8Array | undefined; // (B, T)   the mask passed on with returnSequences (made when first needed)
  // float32 layers with the default cell: the fused WebAssembly kernel (wasm/lstm.wat) whose
  // memory holds the buffers above. For small batches (kernel.whole) it runs the loops below in
  // one call each way; for larger ones, each step's cell pass. Bit for bit either way.
  kernel: LSTMKernel | undefined;
}

/**
 * Long Short-Term Memory layer (Hochreiter & Schmidhuber 1997, with a forget gate), as Keras
 * defines it. For each step t, with x_t [B, I], h_{t-1} and c_{t-1} [B, H]:
 *
 *   z   = x_t·W + h_{t-1}·U + b                      [B, 4H], four blocks z_i | z_f | z_c | z_o
 *   i   = σ(z_i)      input gate
 *   f   = σ(z_f)      forget gate
 *   g   = act(z_c)    cell candidate
 *   o   = σ(z_o)      output gate
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ act(c_t)
 *
 * σ is the recurrent activation (sigmoid, or Keras 2's hardSigmoid = clip(0.2·x + 0.5, 0, 1));
 * act is the activation (tanh, relu or linear). The output is h_T [B, H], or every h_t
 * [B, T, H] with returnSequences. A float32 layer's sigmoid and tanh are those of
 * float32-activations.ts (accurate far beyond float32's precision); a float64 layer's, Math's.
 *
 * Weights, in getWeights() order (Keras layout: Keras / TF.js weights copy over byte for byte):
 *
 *   | weight           | shape   | role                                      |
 *   |------------------|---------|-------------------------------------------|
 *   | kernel           | [I, 4H] | W, input x_t → z                          |
 *   | recurrent_kernel | [H, 4H] | U, previous hidden state h_{t-1} → z      |
 *   | bias             | [4H]    | b (no such weight when useBias is false)  |
 *
 *   Gate order inside every 4H-wide row (of W, U, b, z, the cache and the gradients):
 *   columns [0, H) i  ·  [H, 2H) f  ·  [2H, 3H) c (the candidate g)  ·  [3H, 4H) o
 *
 * Parameter count: 4·(H·(I + H) + H). (PyTorch stores weight_ih [4H, I] and weight_hh [4H, H],
 * rows in the same order i, f, g, o, and two biases: import = transpose both and add the biases.)
 *
 * Defaults (Keras 2.3+ / Keras 3): activation 'tanh', recurrentActivation 'sigmoid',
 * kernelInitializer 'glorotUniform' (limit sqrt(6 / (I + 4H))), recurrentInitializer
 * 'orthogonal' (R·Rᵀ = I over the whole [H, 4H]), biasInitializer 'zeros', unitForgetBias true
 * (forget block of the bias = 1), useBias true, returnSequences false, stateful false.
 *
 * Porting note: Keras 2.0–2.2 (which most LSTM tutorials ran on) defaulted recurrent_activation
 * to 'hard_sigmoid'; pass recurrentActivation: 'hardSigmoid' to reproduce those models. TF.js
 * differs from Keras too: its LSTM defaults to recurrentActivation 'hardSigmoid', kernel
 * initializer 'glorotNormal', and no unit forget bias. We follow current Keras. hardSigmoid here
 * is Keras 2's clip(0.2·x + 0.5, 0, 1); Keras 3 redefined it as clip(x/6 + 1/2, 0, 1).
 *
 * Stateful layers carry each sample's final (h, c) into the next batch as its initial state;
 * gradients stop at the batch edge (truncated BPTT), as in Keras.
 *
 * Masking (maskValue, as Keras' Masking layer): a step of sample b is masked when every feature
 * of x_t[b] equals maskValue. A masked step is the identity on the state,
 *
 *   h_t = h_{t-1},   c_t = c_{t-1}        (and y_t = h_t = h_{t-1} with returnSequences)
 *
 * so backward passes dL/dh_t and dL/dc_t straight through to step t-1, dz_t = 0 (the step adds
 * nothing to dW, dU, db) and dx_t = 0. As in Keras, the mask goes on with the output when the
 * layer returns sequences: a Dense applied at every step passes it further, an LSTM above uses
 * it (unless it has a maskValue of its own, which replaces it, as a second Masking layer would),
 * and the model averages the loss and the accuracy over the unmasked steps only (Sequential).
 * Without returnSequences the output has no time axis and the mask ends here.
 */
export class LSTM extends Layer {
  readonly units: number;
  readonly activation: LSTMActivation;
  readonly recurrentActivation: LSTMRecurrentActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly recurrentInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly unitForgetBias: boolean;
  readonly returnSequences: boolean;
  /** The masking value, or null when masking is off. */
  readonly maskValue: number | null;
  /** maskValue in the layer's dtype: what a masked step's features equal. */
  private readonly maskMatch: number | null;
  private readonly isStateful: boolean;

  // Weights and their gradients, created by build().
  private kernel!: Tensor; //            [I, 4H]  W
  private recurrentKernel!: Tensor; //   [H, 4H]  U
  private bias: Tensor | undefined; //   [4H]     b (undefined when useBias is false)
  private dKernel!: Tensor; //           [I, 4H]
  private dRecurrentKernel!: Tensor; //  [H, 4H]
  private dBias: Tensor | undefined; //  [4H]
  private inputDim = 0; //               I

  /** The forward cache; undefined until the first forward. */
  private cache: Cache | undefined;
  /** The last fused kernel made (it may not be the cache's): its memory serves a later shape that fits. */
  private lastKernel: LSTMKernel | undefined;
  /** Floats of room the fused kernel's memory keeps for the model's whole-step kernel (fused-step.ts). */
  private kernelExtra = 0;
  /** True once backward has run on the current cache (for getInitialStateGradients). */
  private hasBackward = false;
  /** Stateful only: each sample's carried state, [B, H] with B fixed by the input shape; created by build(). */
  private stateH: Tensor | undefined; // [B, H]
  private stateC: Tensor | undefined; // [B, H]

  constructor(options: LSTMOptions) {
    // Unknown keys are refused before anything else.
    const given = checkOptions(options, LSTM_OPTION_KEYS, `LSTM${typeof options?.name === 'string' ? ` ${options.name}` : ''}`);
    super(given as BaseLayerOptions, 'lstm');
    const where = `LSTM ${this.name}`;
    if (given.units === undefined) throw new TypeError(`${where}: units is required; expected a positive integer`);
    this.units = checkPositiveInteger(given.units, `${where}: units`);
    this.activation = resolveActivation(given.activation ?? 'tanh', ['tanh', 'relu', 'linear'] as const, `${where}: activation`);
    this.recurrentActivation = resolveActivation(given.recurrentActivation ?? 'sigmoid', ['sigmoid', 'hardSigmoid'] as const, `${where}: recurrentActivation`);
    this.useBias = checkBoolean(given.useBias ?? true, `${where}: useBias`);
    this.kernelInitializer = resolveInitializer(given.kernelInitializer ?? 'glorotUniform', `${where}: kernelInitializer`);
    this.recurrentInitializer = resolveInitializer(given.recurrentInitializer ?? 'orthogonal', `${where}: recurrentInitializer`);
    this.biasInitializer = resolveInitializer(given.biasInitializer ?? 'zeros', `${where}: biasInitializer`);
    if (this.biasInitializer === 'orthogonal') {
      throw new TypeError(`${where}: biasInitializer: got 'orthogonal', which needs a 2-D shape; expected 'zeros', 'ones', 'glorotUniform' or 'glorotNormal' for the 1-D bias`);
    }
    this.unitForgetBias = checkBoolean(given.unitForgetBias ?? true, `${where}: unitForgetBias`);
    this.returnSequences = checkBoolean(given.returnSequences ?? false, `${where}: returnSequences`);
    this.isStateful = checkBoolean(given.stateful ?? false, `${where}: stateful`);
    const maskValue = given.maskValue ?? null;
    if (maskValue !== null && (typeof maskValue !== 'number' || !Number.isFinite(maskValue))) {
      throw new TypeError(`${where}: maskValue: expected a finite number (the value that marks a padded step, e.g. 0) or null for no masking, got ${describe(maskValue)}`);
    }
    this.maskValue = maskValue;
    // A float32 layer holds its inputs as float32, so it compares them with the float32 mask value
    // (as TF.js and Keras do): maskValue 0.1 masks the steps whose features are all 0.1f.
    this.maskMatch = maskValue === null || this.dtype === 'float64' ? maskValue : Math.fround(maskValue);

    const declared = this.batchInputShape;
    const byBatch = given.batchInputShape !== undefined && given.batchInputShape !== null;
    if (declared !== undefined && declared.length !== 3) {
      throw new RangeError(`${where}: ${byBatch ? 'batchInputShape' : 'inputShape'} has shape ${formatShape(byBatch ? declared : declared.slice(1))}; expected ${byBatch ? '[batch, timeSteps, features]' : '[timeSteps, features]'}`);
    }
    if (this.isStateful && declared !== undefined && declared[0] === null) {
      throw statefulNeedsBatch(where, declared);
    }
  }

  override get stateful(): boolean {
    return this.isStateful;
  }

  build(inputShape: Shape): void {
    const where = `LSTM ${this.name}.build`;
    if (!Array.isArray(inputShape) || inputShape.length !== 3) {
      throw new RangeError(`${where}: inputShape is ${Array.isArray(inputShape) ? formatShape(inputShape) : describe(inputShape)}; expected [batch, timeSteps, features]`);
    }
    const I = checkPositiveInteger(inputShape[2], `${where}: inputShape[2] (features)`);
    const declaredI = this.batchInputShape?.[2];
    if (declaredI !== undefined && declaredI !== null && declaredI !== I) {
      throw new RangeError(`${where}: inputShape ${formatShape(inputShape)} has ${I} features; expected ${declaredI} as declared by the input shape ${formatShape(this.batchInputShape!)}`);
    }
    if (this.built) {
      if (I !== this.inputDim) throw new RangeError(`${where}: the layer is already built for ${this.inputDim} features; got inputShape ${formatShape(inputShape)}`);
      return;
    }
    const batch = inputShape[0];
    if (this.isStateful && (batch === null || batch === undefined)) throw statefulNeedsBatch(`LSTM ${this.name}`, inputShape);
    const H = this.units;
    const G = 4 * H;
    // Drawn in Keras' order: kernel, recurrent kernel, bias.
    this.kernel = initialize(this.kernelInitializer, [I, G], this.dtype);
    this.recurrentKernel = initialize(this.recurrentInitializer, [H, G], this.dtype);
    if (this.useBias) {
      if (this.unitForgetBias) {
        // Keras: concat(init([H]), ones([H]), init([2H])): the forget block starts at 1 so the
        // cell remembers by default (Jozefowicz et al. 2015).
        const b = allocate(this.dtype, G);
        b.set(initialize(this.biasInitializer, [H], this.dtype).data, 0);
        b.fill(1, H, 2 * H);
        b.set(initialize(this.biasInitializer, [2 * H], this.dtype).data, 2 * H);
        this.bias = new Tensor(b, [G]);
      } else {
        this.bias = initialize(this.biasInitializer, [G], this.dtype);
      }
      this.dBias = new Tensor(allocate(this.dtype, G), [G]);
    }
    this.dKernel = new Tensor(allocate(this.dtype, I * G), [I, G]);
    this.dRecurrentKernel = new Tensor(allocate(this.dtype, H * G), [H, G]);
    if (this.isStateful) {
      this.stateH = new Tensor(allocate(this.dtype, batch! * H), [batch!, H]);
      this.stateC = new Tensor(allocate(this.dtype, batch! * H), [batch!, H]);
    }
    this.inputDim = I;
    this.builtInputShape = [inputShape[0] ?? null, inputShape[1] ?? null, I];
    // Made now rather than inside the first training step: the forward's buffers when the batch
    // shape is known (batchInputShape), and the fused kernel's compiled code when it may be used.
    const T = inputShape[1];
    if (typeof batch === 'number' && typeof T === 'number' && batch > 0 && T > 0) this.cacheFor(batch, T);
    else if (this.fusedCell()) prepareLSTMKernel();
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (!Array.isArray(inputShape) || inputShape.length !== 3) {
      throw new RangeError(`LSTM ${this.name}.computeOutputShape: inputShape is ${Array.isArray(inputShape) ? formatShape(inputShape) : describe(inputShape)}; expected [batch, timeSteps, features]`);
    }
    return this.returnSequences ? [inputShape[0], inputShape[1], this.units] : [inputShape[0], this.units];
  }

  get trainableWeights(): Tensor[] {
    if (!this.built) return [];
    return this.bias === undefined ? [this.kernel, this.recurrentKernel] : [this.kernel, this.recurrentKernel, this.bias];
  }

  get weightNames(): string[] {
    return this.useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'];
  }

  /** [dKernel, dRecurrentKernel, dBias] of the last backward (live buffers; no dBias without a bias). */
  getGradients(): Tensor[] {
    if (!this.built) return [];
    return this.dBias === undefined ? [this.dKernel, this.dRecurrentKernel] : [this.dKernel, this.dRecurrentKernel, this.dBias];
  }

  // ---------------------------------------------------------------------------------------
  // Forward
  // ---------------------------------------------------------------------------------------

  /** x: [B, T, I] → h_T [B, H], or [B, T, H] with returnSequences (a new tensor). Fills the cache for backward. */
  forward(input: Tensor, _options?: ForwardOptions): Tensor {
    return this[forwardTrusted](this.checkInput(input)).clone();
  }

  /**
   * forward on a checked x; the output is the cache's (layer.ts, forwardTrusted). `inputMask`
   * ([B, T], 1 = masked) is the mask the layer below passes on (Sequential); maskValue replaces it.
   */
  override [forwardTrusted](x: Tensor, inputMask?: Uint8Array): Tensor {
    const [B, T, I] = x.shape as [number, number, number];
    const H = this.units;
    const cache = this.cacheFor(B, T);
    const { xT, hs } = cache;

    // xT = x transposed to time-major: xT[t, b, :] = x[b, t, :]
    transposeBT(x.data, xT, B, T, I);
    // Masking: mask[t, b] = 1 when every feature of x_t[b] equals maskValue, or else when the
    // layer below masked step t of sample b.
    if (this.maskMatch !== null) cache.maskedRows = findMaskedSteps(xT, cache.mask, T * B, I, this.maskMatch);
    else if (inputMask !== undefined) cache.maskedRows = transposeMask(inputMask, cache.mask, B, T);
    else cache.maskedRows = 0;
    const mask = cache.maskedRows > 0 ? cache.mask : undefined;

    this.loadInitialState(cache);
    if (cache.kernel?.whole === true && mask === undefined) {
      this.forwardFused(cache.kernel);
    } else {
      this.forwardSteps(cache, I, mask);
    }

    this.keepFinalState(cache);
    this.hasBackward = false;

    // The output, batch-major again: every h_t as [B, T, H], or h_T as [B, H] (a view of slot T of hs).
    if (this.returnSequences) transposeTB(hs, B * H, cache.output.data, B, T, H); // y[b, t, :] = hs[t+1, b, :]
    return cache.output;
  }

  /**
   * The forward steps on the cache (xT and slot 0 of hs / cs filled): the input projection, then
   * per step the recurrent product and one fused pass of gates, cell update and output.
   */
  private forwardSteps(cache: Cache, I: number, mask: Uint8Array | undefined): void {
    const { B, T, xT, gates, hs, cs, actC } = cache;
    const H = this.units;
    const G = 4 * H;
    // Larger float32 batches with the default cell: each step's cell pass in the kernel (same bits)
    const cells = mask === undefined ? cache.kernel : undefined;
    const W = this.kernel.data; //          [I, 4H]
    const U = this.recurrentKernel.data; // [H, 4H]
    // float32 layers: σ and tanh to float32 precision by polynomial (float32-activations.ts), as the fused kernel computes them
    const float32 = this.dtype === 'float32';
    const act: CellFunction = this.activation === 'tanh' && float32 ? 'tanhFloat32' : this.activation;
    const rec: GateFunction = this.recurrentActivation === 'sigmoid' && float32 ? 'sigmoidFloat32' : this.recurrentActivation;

    // gates = xT·W + b for all T·B rows at once: [T·B, I] × [I, 4H] → [T·B, 4H]
    gemm(T * B, G, I, { data: xT, offset: 0, ld: I }, { data: W, offset: 0, ld: G }, { data: gates, offset: 0, ld: G }, false);
    if (this.bias !== undefined) addRowVector(gates, this.bias.data, T * B, G);

    // The MatrixRefs of the per-step product are made once and moved along by their offsets,
    // so nothing is allocated inside the time loop.
    const hPrev: MatrixRef = { data: hs, offset: 0, ld: H }; //   h_{t-1}: slot t of hs, [B, H]
    const recurrent: MatrixRef = { data: U, offset: 0, ld: G }; // U [H, 4H]
    const zStep: MatrixRef = { data: gates, offset: 0, ld: G }; // step t of gates, [B, 4H]

    for (let t = 0; t < T; t++) {
      const prev = t * B * H; //  slot t of hs / cs: h_{t-1}, c_{t-1}   (B, H)
      const next = prev + B * H; // slot t+1: h_t, c_t                   (B, H)
      const zt = t * B * G; //    step t of gates                        (B, 4H)

      // z = x_t·W + b + h_{t-1}·U   ([B, H] × [H, 4H], accumulated onto the input projection)
      hPrev.offset = prev;
      zStep.offset = zt;
      recurrent.packing = t === 0 ? 'remember' : 'reuse'; // U is the same at every step: packed once
      gemm(B, G, H, hPrev, recurrent, zStep, true);

      // One fused pass over the step: gate activations, cell update, output.
      if (cells !== undefined) {
        cells.cellForward(t); // the loop below, in WebAssembly SIMD lanes
        continue;
      }
      for (let b = 0; b < B; b++) {
        const z = zt + b * G; // sample b's row of gates [i|f|c|o]
        const s = b * H; //      sample b's row in a (B, H) slot
        if (mask !== undefined && mask[t * B + b] === 1) {
          // Masked step: (h_t, c_t) = (h_{t-1}, c_{t-1}); its gates are never used.
          hs.copyWithin(next + s, prev + s, prev + s + H);
          cs.copyWithin(next + s, prev + s, prev + s + H);
          continue;
        }
        for (let j = 0; j < H; j++) {
          const i = gateActivation(rec, gates[z + j]); //         i = σ(z_i)
          const f = gateActivation(rec, gates[z + H + j]); //     f = σ(z_f)
          const g = cellActivation(act, gates[z + 2 * H + j]); // g = act(z_c)
          const o = gateActivation(rec, gates[z + 3 * H + j]); // o = σ(z_o)
          gates[z + j] = i;
          gates[z + H + j] = f;
          gates[z + 2 * H + j] = g;
          gates[z + 3 * H + j] = o;
          const c = f * cs[prev + s + j] + i * g; //              c_t = f⊙c_{t-1} + i⊙g
          const a = cellActivation(act, c); //                    act(c_t)
          cs[next + s + j] = c;
          actC[prev + s + j] = a; // (actC has no slot 0: step t's block starts at t·B·H = prev)
          hs[next + s + j] = o * a; //                            h_t = o⊙act(c_t)
        }
      }
    }
  }

  /** forwardSteps in one call of the fused kernel, whose memory holds the cache: the weights copied in first. */
  private forwardFused(kernel: LSTMKernel): void {
    this.weightsIntoKernel(kernel);
    kernel.forward(this.bias !== undefined);
  }

  /** W, U and b into the fused kernel's memory, as they are now. */
  private weightsIntoKernel(kernel: LSTMKernel): void {
    kernel.views.W.set(this.kernel.data);
    kernel.views.U.set(this.recurrentKernel.data);
    if (this.bias !== undefined) kernel.views.bias.set(this.bias.data);
  }

  /** Stateful: each sample's (h_T, c_T), slot T of hs / cs, starts its next batch (after every forward, as Keras' predict). */
  private keepFinalState({ B, T, hs, cs }: Cache): void {
    if (this.stateH === undefined || this.stateC === undefined) return;
    const H = this.units;
    this.stateH.data.set(hs.subarray(T * B * H, (T + 1) * B * H));
    this.stateC.data.set(cs.subarray(T * B * H, (T + 1) * B * H));
  }

  /** Slot 0 of hs / cs: the initial state (the carried one when stateful, else zeros). */
  private loadInitialState({ B, hs, cs }: Cache): void {
    if (this.stateH !== undefined && this.stateC !== undefined) {
      hs.set(this.stateH.data, 0);
      cs.set(this.stateC.data, 0);
    } else {
      hs.fill(0, 0, B * this.units);
      cs.fill(0, 0, B * this.units);
    }
  }

  // ---------------------------------------------------------------------------------------
  // The whole training step in one kernel call (src/model/fused-step.ts)
  // ---------------------------------------------------------------------------------------

  /**
   * The fused kernel for batches of B samples of T steps, its memory with `extra` floats of room
   * for the model's step, when this layer's forward and backward would run in it (a float32
   * default cell, no masking, a shape the kernel takes) and it returns h_T only; else undefined.
   */
  [stepKernel](B: number, T: number, extra: number): LSTMKernel | undefined {
    // The cache already in a whole-mode kernel with the room (one exists only for a fused cell and shape): the usual case, checked first.
    const kept = this.cache;
    if (kept !== undefined && kept.B === B && kept.T === T && kept.kernel?.whole === true && kept.kernel.extra >= extra && !this.returnSequences && fusedLSTMKernelEnabled()) return kept.kernel;
    if (!this.built || this.returnSequences || !this.fusedCell() || !fusedLSTMShape(this.inputDim, this.units, B, T)) return undefined;
    this.kernelExtra = Math.max(this.kernelExtra, extra);
    this.cache = undefined; // made again below, with the room
    this.hasBackward = false;
    return this.cacheFor(B, T).kernel;
  }

  /**
   * forwardTrusted's part before the kernel's forward, for x [B, T, I] stored from x[xOffset] on:
   * x time-major, the initial state and the weights into the kernel's memory.
   */
  [beforeStep](x: TypedArray, xOffset: number): void {
    const cache = this.cache!;
    const { B, T, xT } = cache;
    transposeBT(x, xT, B, T, this.inputDim, xOffset);
    cache.maskedRows = 0;
    this.loadInitialState(cache);
    this.weightsIntoKernel(cache.kernel!);
  }

  /**
   * What forwardTrusted and backwardTrusted leave after the kernel's step: the carried state, and
   * (when the backward ran) the weight gradients. Returns the forward's output, h_T.
   */
  [afterStep](backwardRan: boolean): Tensor {
    const { kernel, output } = this.cache!;
    this.keepFinalState(this.cache!);
    this.hasBackward = backwardRan;
    if (backwardRan) {
      const { views } = kernel!;
      this.dKernel.data.set(views.dW);
      this.dRecurrentKernel.data.set(views.dU);
      if (this.dBias !== undefined) this.dBias.data.set(views.dBias);
    }
    return output;
  }

  /**
   * The mask that goes on with the last forward's output (layer.ts, outputMask): with
   * returnSequences and a masked step, [B, T] with 1 at the masked steps; else undefined.
   */
  override [outputMask](): Uint8Array | undefined {
    const cache = this.cache;
    if (!this.returnSequences || cache === undefined || cache.maskedRows === 0) return undefined;
    const { B, T } = cache;
    const out = (cache.outputMask ??= new Uint8Array(B * T));
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = cache.mask[t * B + b];
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Backward: BPTT, walking the steps in reverse and reading only the cache.
  // ---------------------------------------------------------------------------------------

  /** dy shaped like the last output → dL/dx [B, T, I] (a new tensor); replaces the weight gradients. */
  backward(outputGradient: Tensor): Tensor {
    if (this.cache === undefined) {
      throw new Error(`LSTM ${this.name}.backward: there is no forward pass to differentiate; call forward(x) first`);
    }
    return this[backwardTrusted](this.checkOutputGradient(outputGradient, this.cache.B, this.cache.T), true)!.clone();
  }

  /** backward on a checked dy; dL/dx in the cache, if asked for (layer.ts, backwardTrusted). */
  override [backwardTrusted](outputGradient: Tensor, needInputGradient: boolean): Tensor | undefined {
    const cache = this.cache!;
    const { B, T, xT, gates, hs, cs, actC, dGates, dXT } = cache;
    const mask = cache.maskedRows > 0 ? cache.mask : undefined;
    const H = this.units;
    const G = 4 * H;
    const I = this.inputDim;
    const dy = outputGradient.data;
    const dhNext = cache.dh.data; // (B, H) dL/dh_t arriving from step t+1 (through z_{t+1} = … + h_t·U)
    const dcNext = cache.dc.data; // (B, H) dL/dc_t arriving from step t+1 (through c_{t+1} = f⊙c_t + …)
    const act = this.activation;
    const rec = this.recurrentActivation;
    const seq = this.returnSequences;

    // After the last step nothing flows back from the future; without returnSequences the
    // output y = h_T, so dy enters as dL/dh_T.
    if (seq) dhNext.fill(0);
    else dhNext.set(dy);
    dcNext.fill(0);
    // Small float32 batches: everything below in one call of the fused kernel, bit for bit.
    if (cache.kernel?.whole === true && mask === undefined) return this.backwardFused(cache.kernel, dy, needInputGradient);
    // Larger ones with the default cell: each step's cell pass in the kernel (dy in its memory)
    const cells = mask === undefined ? cache.kernel : undefined;
    if (cells !== undefined && seq) cells.views.dy.set(dy);

    const dzStep: MatrixRef = { data: dGates, offset: 0, ld: G }; //            step t of dGates, [B, 4H]
    const recurrentT: MatrixRef = { data: this.recurrentKernel.data, offset: 0, ld: G, transpose: true }; // Uᵀ [4H, H]
    const dhRef: MatrixRef = { data: dhNext, offset: 0, ld: H }; //              [B, H]

    for (let t = T - 1; t >= 0; t--) {
      const prev = t * B * H; // slot t of hs / cs (c_{t-1}); also step t of actC
      const zt = t * B * G; //   step t of gates / dGates

      if (cells !== undefined) cells.cellBackward(t, seq); // the loop below, in WebAssembly
      else for (let b = 0; b < B; b++) {
        const z = zt + b * G;
        const s = b * H;
        if (mask !== undefined && mask[t * B + b] === 1) {
          // Masked step, h_t = h_{t-1} and c_t = c_{t-1}: dL/dc_{t-1} = dL/dc_t stays in dcNext,
          // dL/dh_{t-1} = dL/dh_t (+ dy_t) stays in dhNext, and dz_t = 0 (no dW, dU, db, dx_t).
          if (seq) for (let j = 0; j < H; j++) dhNext[s + j] += dy[(b * T + t) * H + j];
          dGates.fill(0, z, z + G);
          continue;
        }
        for (let j = 0; j < H; j++) {
          const i = gates[z + j]; //         the step's gates, after activation
          const f = gates[z + H + j];
          const g = gates[z + 2 * H + j];
          const o = gates[z + 3 * H + j];
          const a = actC[prev + s + j]; //    act(c_t)
          const cPrev = cs[prev + s + j]; //  c_{t-1}
          //                                                         differentiates:
          let dh = dhNext[s + j]; //                                 z_{t+1} = … + h_t·U   (h_t feeds the next step)
          dhNext[s + j] = 0; //                                      (read; dL/dh_{t-1} is summed into it below)
          if (seq) dh += dy[(b * T + t) * H + j]; //                 y_t = h_t             (returnSequences)
          const dO = dh * a; //                                      h_t = o⊙act(c_t)      w.r.t. o  (`do` is a keyword)
          const dc = dcNext[s + j] + dh * o * derivativeFromOutput(act, a); // h_t = o⊙act(c_t) w.r.t. c_t, plus c_{t+1} = f⊙c_t + …
          const di = dc * g; //                                      c_t = f⊙c_{t-1} + i⊙g  w.r.t. i
          const dg = dc * i; //                                      c_t = f⊙c_{t-1} + i⊙g  w.r.t. g
          const df = dc * cPrev; //                                  c_t = f⊙c_{t-1} + i⊙g  w.r.t. f
          dcNext[s + j] = dc * f; //                                 c_t = f⊙c_{t-1} + i⊙g  w.r.t. c_{t-1} (to step t-1)
          dGates[z + j] = di * derivativeFromOutput(rec, i); //      i = σ(z_i)     (σ' from the output: see elementwise.ts)
          dGates[z + H + j] = df * derivativeFromOutput(rec, f); //  f = σ(z_f)
          dGates[z + 2 * H + j] = dg * derivativeFromOutput(act, g); // g = act(z_c)
          dGates[z + 3 * H + j] = dO * derivativeFromOutput(rec, o); // o = σ(z_o)
        }
      }

      // ∂ of z = … + h_{t-1}·U w.r.t. h_{t-1}:  dhNext += dz_t·Uᵀ   ([B, 4H] × [4H, H])
      // (onto 0 for a computed row; a masked row keeps what passed straight through, as its dz_t = 0)
      dzStep.offset = zt;
      recurrentT.packing = t === T - 1 ? 'remember' : 'reuse'; // Uᵀ likewise, packed once
      gemm(B, H, G, dzStep, recurrentT, dhRef, true);
    }
    // dhNext, dcNext now hold dL/dh0, dL/dc0 (see getInitialStateGradients).

    // The weight gradients sum over every step, so each is ONE product over all T·B rows.
    // With masked steps, over the rows of the unmasked steps only, gathered in order: a masked
    // row's dz is 0 and would add nothing, and leaving it out means a padded sequence sums
    // exactly the rows of the unpadded one, in the same order, so padding changes no bit.
    let rows = T * B; // the rows summed over: (x_t, h_{t-1}, dz_t) for every step and sample
    let xRows = xT; //    (rows, I)
    let hRows = hs; //    (rows, H)  slots 0..T-1 of hs are h_{t-1}
    let dzRows = dGates; // (rows, 4H)
    if (mask !== undefined) {
      const kept = (cache.unmasked ??= { x: allocate(this.dtype, T * B * I), hPrev: allocate(this.dtype, T * B * H), dz: allocate(this.dtype, T * B * G) });
      rows = keepUnmaskedRows(mask, T * B, xT, kept.x, I);
      keepUnmaskedRows(mask, T * B, hs, kept.hPrev, H);
      keepUnmaskedRows(mask, T * B, dGates, kept.dz, G);
      xRows = kept.x;
      hRows = kept.hPrev;
      dzRows = kept.dz;
    }
    // ∂ of z = x_t·W + …:        dW = Σ_t x_tᵀ·dz_t = xTᵀ·dGates      ([I, T·B] × [T·B, 4H])
    gemm(I, G, rows, { data: xRows, offset: 0, ld: I, transpose: true }, { data: dzRows, offset: 0, ld: G }, { data: this.dKernel.data, offset: 0, ld: G }, false);
    // ∂ of z = … + h_{t-1}·U:    dU = Σ_t h_{t-1}ᵀ·dz_t = hPrevᵀ·dGates, hPrev = slots 0..T-1 of hs
    gemm(H, G, rows, { data: hRows, offset: 0, ld: H, transpose: true }, { data: dzRows, offset: 0, ld: G }, { data: this.dRecurrentKernel.data, offset: 0, ld: G }, false);
    // ∂ of z = … + b:            db = Σ_t Σ_b dz_t, the column sums of dGates
    if (this.dBias !== undefined) columnSums(dzRows, this.dBias.data, rows, G);
    this.hasBackward = true;
    if (!needInputGradient) return undefined; // the model's first layer: nothing below needs dx

    // ∂ of z = x_t·W + …:        dx_t = dz_t·Wᵀ, all steps at once   ([T·B, 4H] × [4H, I])
    gemm(T * B, I, G, { data: dGates, offset: 0, ld: G }, { data: this.kernel.data, offset: 0, ld: G, transpose: true }, { data: dXT, offset: 0, ld: I }, false);
    transposeTB(dXT, 0, cache.dx.data, B, T, I); // dx[b, t, :] = dXT[t, b, :]
    return cache.dx;
  }

  /** The backward steps and products in one call of the fused kernel (dh, dc set as above), the gradients copied out. */
  private backwardFused(kernel: LSTMKernel, dy: TypedArray, needInputGradient: boolean): Tensor | undefined {
    const { views } = kernel;
    views.U.set(this.recurrentKernel.data); // the weights as they are now, as the loops above read them
    if (needInputGradient) views.W.set(this.kernel.data);
    if (this.returnSequences) views.dy.set(dy);
    kernel.backward(this.dBias !== undefined, this.returnSequences, needInputGradient);
    this.dKernel.data.set(views.dW);
    this.dRecurrentKernel.data.set(views.dU);
    if (this.dBias !== undefined) this.dBias.data.set(views.dBias);
    this.hasBackward = true;
    if (!needInputGradient) return undefined;
    const { B, T } = kernel;
    transposeTB(views.dXT, 0, this.cache!.dx.data, B, T, this.inputDim); // dx[b, t, :] = dXT[t, b, :]
    return this.cache!.dx;
  }

  /**
   * [dL/dh0, dL/dc0], each [B, H], from the last backward: the gradient with respect to the
   * initial state. For checks and for learners: a stateful layer does not pass it on to the
   * previous batch (gradients stop at the batch edge, truncated BPTT, as in Keras).
   */
  getInitialStateGradients(): [Tensor, Tensor] {
    if (this.cache === undefined || !this.hasBackward) {
      throw new Error(`LSTM ${this.name}.getInitialStateGradients: no backward pass yet; call forward(x) then backward(dy) first`);
    }
    return [this.cache.dh.clone(), this.cache.dc.clone()];
  }

  // ---------------------------------------------------------------------------------------
  // State (stateful layers)
  // ---------------------------------------------------------------------------------------

  /** Copies of the carried [h, c], each [B, H]; [] when not stateful. */
  override getStates(): Tensor[] {
    if (this.stateH === undefined || this.stateC === undefined) return [];
    return [this.stateH.clone(), this.stateC.clone()];
  }

  /** The carried [h, c] themselves (for the model's undo of a training step); [] when not stateful. */
  override [liveStates](): Tensor[] {
    return this.stateH === undefined || this.stateC === undefined ? [] : [this.stateH, this.stateC];
  }

  /** Zero the carried state, or set it to [h, c] (each [B, H]). A no-op for stateless layers. */
  override resetStates(states?: TensorLike[]): void {
    const where = `LSTM ${this.name}.resetStates`;
    if (this.stateH === undefined || this.stateC === undefined) {
      if (states !== undefined) {
        throw new TypeError(this.isStateful
          ? `${where}: got states, but the layer is not built yet (its batch size is unknown); build it or run forward first`
          : `${where}: got states, but the layer is not stateful; expected no argument`);
      }
      return;
    }
    if (states === undefined) {
      this.stateH.data.fill(0);
      this.stateC.data.fill(0);
      return;
    }
    if (!Array.isArray(states) || states.length !== 2) {
      throw new TypeError(`${where}: states is ${describe(states)}; expected [h, c], two tensors of shape ${formatShape(this.stateH.shape)}`);
    }
    // Check both before writing either, so a failed call changes nothing.
    const [h, c] = states.map((state, k) => {
      const argument = `${where}: states[${k}] (${k === 0 ? 'h' : 'c'})`;
      const t = toTensor(state, argument, this.dtype);
      if (!sameShape(t.shape, this.stateH!.shape)) {
        throw new RangeError(`${argument} has shape ${formatShape(t.shape)}; expected ${formatShape(this.stateH!.shape)} [batch, units]`);
      }
      assertFinite(t, argument);
      return t;
    }) as [Tensor, Tensor];
    this.stateH.data.set(h.data);
    this.stateC.data.set(c.data);
  }

  getConfig(): LayerConfig {
    return {
      className: 'LSTM',
      config: {
        name: this.name,
        units: this.units,
        activation: this.activation,
        recurrentActivation: this.recurrentActivation,
        useBias: this.useBias,
        kernelInitializer: this.kernelInitializer,
        recurrentInitializer: this.recurrentInitializer,
        biasInitializer: this.biasInitializer,
        unitForgetBias: this.unitForgetBias,
        returnSequences: this.returnSequences,
        stateful: this.isStateful,
        maskValue: this.maskValue,
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }

  // ---------------------------------------------------------------------------------------
  // Checks and buffers
  // ---------------------------------------------------------------------------------------

  /** Validate x, convert it to the layer's dtype, build the layer on first use. */
  private checkInput(input: unknown): Tensor {
    const argument = `LSTM ${this.name}: input x`;
    const x = toTensor(input, argument, this.dtype);
    if (x.rank !== 3) {
      throw new RangeError(`${argument} has shape ${formatShape(x.shape)}; expected rank 3, [batch, timeSteps, features]`);
    }
    const [B, T, I] = x.shape as [number, number, number];
    if (B === 0 || T === 0) {
      throw new RangeError(`${argument} has shape ${formatShape(x.shape)}; expected at least one sample and one time step`);
    }
    const expectedI = this.built ? this.inputDim : this.batchInputShape?.[2];
    if (expectedI !== undefined && expectedI !== null && I !== expectedI) {
      throw new RangeError(`${argument} has shape ${formatShape(x.shape)} with ${I} features; expected ${expectedI} features, shape [batch, timeSteps, ${expectedI}]`);
    }
    const fixedBatch = this.stateH?.shape[0] ?? (this.isStateful ? this.batchInputShape?.[0] : undefined);
    if (fixedBatch !== undefined && fixedBatch !== null && B !== fixedBatch) {
      throw new RangeError(`${argument} has batch size ${B} (shape ${formatShape(x.shape)}); expected ${fixedBatch}: a stateful layer's batch size is fixed by its batchInputShape, ${formatShape(this.builtInputShape ?? this.batchInputShape!)}`);
    }
    assertFinite(x, argument);
    if (!this.built) {
      const declared = this.batchInputShape;
      this.build(declared === undefined ? [null, null, I] : [declared[0], declared[1], I]);
    }
    return x;
  }

  private checkOutputGradient(outputGradient: unknown, B: number, T: number): Tensor {
    const argument = `LSTM ${this.name}.backward: output gradient dy`;
    const dy = toTensor(outputGradient, argument, this.dtype);
    const expected = this.returnSequences ? [B, T, this.units] : [B, this.units];
    if (!sameShape(dy.shape, expected)) {
      throw new RangeError(`${argument} has shape ${formatShape(dy.shape)}; expected ${formatShape(expected)}, the shape of the last forward's output`);
    }
    assertFinite(dy, argument);
    return dy;
  }

  /** Whether the fused kernel computes this layer's cell: float32, sigmoid gates, tanh, no masking. */
  private fusedCell(): boolean {
    return this.dtype === 'float32' && this.activation === 'tanh' && this.recurrentActivation === 'sigmoid' && this.maskMatch === null && fusedLSTMKernelEnabled();
  }

  /** The cache for this (B, T): reused when the shape repeats, else allocated afresh. */
  private cacheFor(B: number, T: number): Cache {
    if (this.cache !== undefined && this.cache.B === B && this.cache.T === T) return this.cache;
    const H = this.units;
    const G = 4 * H;
    const I = this.inputDim;
    const d = this.dtype;
    // The fused kernel runs lstm.ts' default cell (sigmoid gates, tanh) on float32 layers without
    // maskValue, whole on small batches, the cell passes on larger ones; its memory then holds the buffers.
    const kernel = this.fusedCell() ? LSTMKernel.create(I, H, B, T, fusedLSTMShape(I, H, B, T), this.lastKernel, this.kernelExtra) ?? undefined : undefined;
    if (kernel !== undefined) this.lastKernel = kernel;
    const buffer = (name: 'xT' | 'gates' | 'hs' | 'cs' | 'actC' | 'dGates' | 'dXT' | 'dh' | 'dc', length: number): TypedArray =>
      kernel !== undefined ? kernel.views[name] : allocate(d, length);
    const hs = buffer('hs', (T + 1) * B * H);
    this.cache = {
      B,
      T,
      // The output: every h_t, batch-major, or h_T as a view of the last slot of hs.
      output: this.returnSequences ? new Tensor(allocate(d, B * T * H), [B, T, H]) : new Tensor(hs.subarray(T * B * H), [B, H]),
      xT: buffer('xT', T * B * I), //          (T, B, I)
      gates: buffer('gates', T * B * G), //    (T, B, 4H)
      hs, //                                   (T+1, B, H)
      cs: buffer('cs', (T + 1) * B * H), //    (T+1, B, H)
      actC: buffer('actC', T * B * H), //      (T, B, H)
      dGates: buffer('dGates', T * B * G), //  (T, B, 4H)
      dXT: buffer('dXT', T * B * I), //        (T, B, I)
      dx: new Tensor(allocate(d, B * T * I), [B, T, I]),
      dh: new Tensor(buffer('dh', B * H), [B, H]),
      dc: new Tensor(buffer('dc', B * H), [B, H]),
      mask: new Uint8Array(T * B), //        (T, B)
      maskedRows: 0,
      unmasked: undefined,
      outputMask: undefined,
      kernel,
    };
    return this.cache;
  }
}

// -----------------------------------------------------------------------------------------
// Scalar activations and buffer helpers (plain functions, no closures: the JIT inlines them)
// -----------------------------------------------------------------------------------------

function statefulNeedsBatch(where: string, shape: Shape): TypeError {
  return new TypeError(`${where}: stateful: true needs the batch size fixed; got input shape ${formatShape(shape)}, expected batchInputShape [batchSize, timeSteps, features] on this layer or on the model's first layer (the number of samples must then be a multiple of batchSize)`);
}

/** The function behind σ: a float32 layer's sigmoid is sigmoidFloat32. */
type GateFunction = LSTMRecurrentActivation | 'sigmoidFloat32';
/** The function behind act: a float32 layer's tanh is tanhFloat32. */
type CellFunction = LSTMActivation | 'tanhFloat32';

/** σ for the gates i, f, o. */
function gateActivation(kind: GateFunction, z: number): number {
  return kind === 'sigmoidFloat32' ? sigmoidFloat32(z) : kind === 'sigmoid' ? sigmoid(z) : hardSigmoid(z);
}

/** act for the candidate g and for c_t. */
function cellActivation(kind: CellFunction, z: number): number {
  return kind === 'tanhFloat32' ? tanhFloat32(z) : kind === 'tanh' ? Math.tanh(z) : kind === 'relu' ? (z > 0 ? z : 0) : z;
}

/** out[t, b, :] = x[offset + (b, t, :)] for x (B, T, n) stored from `offset` on → out (T, B, n). */
function transposeBT(x: TypedArray, out: TypedArray, B: number, T: number, n: number, offset = 0): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const from = offset + (b * T + t) * n;
      const to = (t * B + b) * n;
      for (let k = 0; k < n; k++) out[to + k] = x[from + k];
    }
  }
}

/** mask[r] = 1 when all n values of row r of xT (T·B rows of n) equal `value`, else 0. Returns the count of 1s. */
function findMaskedSteps(xT: TypedArray, mask: Uint8Array, rows: number, n: number, value: number): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let masked = 1;
    for (let k = 0; k < n; k++) {
      if (xT[r * n + k] !== value) {
        masked = 0;
        break;
      }
    }
    mask[r] = masked;
    count += masked;
  }
  return count;
}

/** mask[t·B + b] = inputMask[b·T + t] (batch-major [B, T] to time-major); returns the count of 1s. */
function transposeMask(inputMask: Uint8Array, mask: Uint8Array, B: number, T: number): number {
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const masked = inputMask[b * T + t];
      mask[t * B + b] = masked;
      count += masked;
    }
  }
  return count;
}

/** Copy the rows r < rows of `from` (width n) with mask[r] = 0 to the start of `to`, in order; returns how many. */
function keepUnmaskedRows(mask: Uint8Array, rows: number, from: TypedArray, to: TypedArray, n: number): number {
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    if (mask[r] === 1) continue;
    for (let k = 0; k < n; k++) to[kept * n + k] = from[r * n + k];
    kept++;
  }
  return kept;
}

/** out[b, t, :] = x[offset + (t, b, :)] for x (T, B, n) starting at `offset` → out (B, T, n). */
function transposeTB(x: TypedArray, offset: number, out: TypedArray, B: number, T: number, n: number): void {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const from = offset + (t * B + b) * n;
      const to = (b * T + t) * n;
      for (let k = 0; k < n; k++) out[to + k] = x[from + k];
    }
  }
}

/** m[r, :] += v for each of the `rows` rows of width n. */
function addRowVector(m: TypedArray, v: TypedArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) m[row + j] += v[j];
  }
}

/** out[j] = Σ_r m[r, j]. */
function columnSums(m: TypedArray, out: TypedArray, rows: number, n: number): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) out[j] += m[row + j];
  }
}
