// Shapes: B = batch, T = time steps, I = input features, H = units, G = gateBlocks·H (a cell's gate blocks side by side).
/**
 * The sequence loop: everything a recurrent layer does that is not its cell's math. RNN is the
 * base of every recurrent layer (LSTM, GRU, SimpleRNN); a subclass brings its cell (cell.ts;
 * lstm-cell.ts, gru-cell.ts, simple-rnn-cell.ts) and its weights' initial values, and gets from here:
 *
 *   forward    x [B, T, I] → time-major xT (reversed with goBackwards); the input projection
 *              xT·W + b as ONE product over all T·B rows; then per step the recurrent product
 *              z_t += h_{t-1}·U and the cell's forward step; the output h_T [B, H], or every h_t
 *              [B, T, H] with returnSequences;
 *   backward   full BPTT, the steps in reverse: the cell's backward step, then
 *              dL/dh_{t-1} += dz_t·Uᵀ; after the loop the weight gradients as ONE product each
 *              over all steps (dW = xTᵀ·dZ, dU = hPrevᵀ·dZ, db = Σ dZ) and dx = dZ·Wᵀ;
 *   state      stateful layers carry each sample's final state into the next batch (truncated
 *              BPTT at the batch edge, as Keras); resetStates;
 *   masking    a masked step of a sample copies its state through (h_t = h_{t-1}, ...; with
 *              returnSequences its output too), adds nothing to the weight gradients, and passes
 *              dL/d(state) straight back; the mask goes on with returnSequences, as in Keras;
 *   direction  goBackwards reads the sequence from its last step (Keras: the returned sequence
 *              is in the order processed, i.e. reversed).
 *
 * Two variations of the recurrent product, for the GRU, declared by the cell (cell.ts says why):
 *   separateRecurrent   the per-step product goes to recurrentGates, r_t = b_r + h_{t-1}·U (b_r
 *                       the bias's second row; the bias is [2, G]), not onto z; backward reads
 *                       dRecurrentGates for dL/dh_{t-1} += dr_t·Uᵀ, dU = hPrevᵀ·dR and db_r = Σ dR;
 *   ownRecurrentBlocks  the per-step product covers the first G - n·H columns of U; the cell does
 *                       the rest inside its step (given U), and the loop sums those columns of dU
 *                       as operandᵀ·dz over all steps, the operand being what the cell keeps in
 *                       extras[ownRecurrentOperand] ((r ⊙ h_{t-1}) for the GRU).
 * Neither is set for the LSTM, whose path is exactly the one described above.
 *
 * The cell runs through a cell kernel (cell.ts), chosen once per (B, T) cache in kernels.ts: the
 * TypeScript cell, or the WebAssembly LSTM cell, which may also run the whole forward / backward
 * below in one call each for small batches (forwardSequence / backwardSequence: the same
 * operations in the same order).
 */
import { allocate, type TypedArray } from '../../tensor/alloc.js';
import { gemm, type MatrixRef } from '../../tensor/gemm.js';
import { Tensor, assertFinite, describe, formatShape, sameShape, toTensor, type TensorLike } from '../../tensor/tensor.js';
import { checkBoolean, checkPositiveInteger } from '../../base/options.js';
import { resolveInitializer, type InitializerName } from '../../tensor/initializers.js';
import { randomUniform } from '../../tensor/random.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, outputMask, type BaseLayerOptions, type ForwardOptions, type Shape } from '../layer.js';
import type { CellKernel, CellKernelKind, RecurrentCell, SequenceWeights } from './cell.js';
import { createCellKernel, prepareCellKernel } from './kernels.js';
import { addRowVector, columnSums, findMaskedSteps, keepUnmaskedRows, transposeBT, transposeMask, transposeTB } from './time-major.js';

/** An initializer as an option takes it: camelCase, or Keras' snake_case. */
export type InitializerSpelling = InitializerName | 'glorot_uniform' | 'glorot_normal';

/** Options every recurrent layer takes, under their Keras names. */
export interface RNNOptions extends BaseLayerOptions {
  /** H, the size of the hidden state (and of every other state vector). Required. */
  units: number;
  /** Default true. Without it the layer has no bias weight at all. */
  useBias?: boolean;
  /** Default 'glorotUniform' (also 'glorot_uniform'; or 'glorotNormal', 'orthogonal', 'zeros', 'ones'). */
  kernelInitializer?: InitializerSpelling;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerSpelling;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpelling;
  /**
   * Default 0. While training, the fraction of the input features dropped (Keras' `dropout`): one
   * mask per sample and feature, held for every time step, the kept ones scaled by 1 / (1 − rate);
   * drawn from setSeed's stream. At inference the input passes unchanged.
   */
  dropout?: number;
  /** Default false: output only the last h, [B, H]; true: every step's h, [B, T, H]. */
  returnSequences?: boolean;
  /**
   * Default false. True: each sample's final state is the next batch's initial state. Needs the
   * batch size fixed: batchInputShape on this layer, or on the first layer of its model.
   */
  stateful?: boolean;
  /**
   * Default null (no masking). A number: Keras' Masking(mask_value) in front of the layer (0 is
   * Embedding's mask_zero). A time step of a sample whose features ALL equal maskValue is
   * skipped: its state, and its output with returnSequences, copy the previous step's, and it
   * adds nothing to the weight gradients. So a pre-padded sequence gives exactly what the
   * unpadded one gives.
   */
  maskValue?: number | null;
  /** Default false. True: process the sequence from its last step to its first (and, with returnSequences, return the outputs in that order, as Keras). */
  goBackwards?: boolean;
}

export const RNN_OPTION_KEYS = [
  ...BASE_LAYER_OPTION_KEYS, 'units', 'returnSequences', 'stateful', 'maskValue', 'goBackwards',
  'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'dropout',
] as const;

/** The initial weights a subclass draws at build, in Keras' order. */
export interface RecurrentWeights {
  kernel: Tensor; //                [I, G]  W, input x_t → z
  recurrentKernel: Tensor; //       [H, G]  U, previous hidden state h_{t-1} → z
  bias: Tensor | undefined; //      [G]     b (undefined without a bias)
}

/**
 * What a recurrent layer's last forward and backward did at every step (RNN.getTrace), in the
 * order the layer processed the steps (reversed with goBackwards), batch-major.
 */
export interface RecurrentTrace {
  /** The cell's state vectors, h first: ['h', 'c'] for an LSTM. */
  stateNames: readonly string[];
  /** [B, T, G]: the cell's gates at each step after activation (an LSTM's [i|f|g|o] blocks). */
  gates: Tensor;
  /** One per state, each [B, T+1, H]: index 0 the initial state, index t+1 the state after step t. */
  states: Tensor[];
  /**
   * After a backward, one per state, each [B, T, H]: what flows back into step t. For h, the
   * whole dL/dh_t (from the output at t and from every later step); for the other states, the
   * part arriving from step t+1 (an LSTM's c: through the forget gate of step t+1, the "carousel").
   */
  stateGradients?: Tensor[];
  /** After a backward: ‖dL/dh_t‖ over the batch, per step: vanishing or exploding gradients made visible. */
  gradientNorms?: number[];
  /** After a backward: per step t, its share of each weight gradient (x_tᵀ·dz_t, ...), in getWeights() order; summed over the steps they are getGradients(). */
  stepGradients?: Tensor[][];
}

/** The loop's cache for one (B, T): the kernel's buffers (cell.ts, SequenceBuffers) and the loop's own. */
interface Cache {
  B: number;
  T: number;
  kernel: CellKernel; //  the cell's kernel, whose buffers hold xT, gates, states, extras, dGates, dStates, dXT
  output: Tensor; //      [B, T, H] every h_t (returnSequences), or [B, H] h_T: a view of slot T of states[0]
  dx: Tensor; //          [B, T, I] dL/dx, batch-major (what backward returns)
  // Masking (maskValue, or a mask passed on from the layer below):
  mask: Uint8Array; //                 (T, B) 1 where the step is masked; read only when maskedRows > 0
  maskedRows: number; //               how many of the T·B steps are masked in the last forward
  unmasked: { x: TypedArray; hPrev: TypedArray; dz: TypedArray; dr: TypedArray | undefined; operand: TypedArray | undefined } | undefined; // (≤T·B, I | H | G | G | H) rows of unmasked steps, for dW, dU, db (made when first needed; dr with separateRecurrent, operand with ownRecurrentBlocks)
  passThrough: TypedArray[] | undefined; // each (B, H): a step's masked rows of dStates, kept across the cell's backward step (made when first needed)
  outputMask: Uint8Array | undefined; //  (B, T) the mask passed on with returnSequences (made when first needed)
  dropoutScale: TypedArray | undefined; // (B, I) the last training forward's input dropout scales; undefined without
  dropoutBuffer: TypedArray | undefined; // (B, I) their storage, reused
}

export abstract class RNN extends Layer {
  readonly units: number;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  /** The masking value, or null when masking is off. */
  readonly maskValue: number | null;
  /** maskValue in the layer's dtype: what a masked step's features equal. */
  private readonly maskMatch: number | null;
  private readonly isStateful: boolean;
  /** The Keras class name, for messages: 'LSTM'. */
  private readonly className: string;

  /** The cell: one step's math (set by the subclass's constructor). */
  protected abstract readonly cell: RecurrentCell;
  /** Whether the layer has a bias weight. */
  readonly useBias: boolean;
  /** The input dropout rate while training (RNNOptions.dropout). */
  readonly dropout: number;
  /** How the weights are drawn at build (the subclass's drawWeights reads them). */
  readonly kernelInitializer: InitializerName;
  readonly recurrentInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  // Weights and their gradients, created by build(). Read `.data` at each use: an optimizer may
  // move a weight's storage (layer.ts, trainableWeights).
  private kernel!: Tensor; //            [I, G]  W
  private recurrentKernel!: Tensor; //   [H, G]  U
  private bias: Tensor | undefined; //   [G]     b (with separateRecurrent [2, G]: b_x, then b_r)
  private dKernel!: Tensor; //           [I, G]
  private dRecurrentKernel!: Tensor; //  [H, G]
  private dBias: Tensor | undefined; //  [G] (or [2, G]), like the bias
  private inputDim = 0; //               I
  /** The arrays the kernels read and write, refreshed from the tensors at each use (no allocation per call). */
  private readonly weightArrays: SequenceWeights = { kernel: new Float32Array(0), recurrentKernel: new Float32Array(0), bias: undefined };
  private readonly gradientArrays: SequenceWeights = { kernel: new Float32Array(0), recurrentKernel: new Float32Array(0), bias: undefined };

  /**
   * While true, every forward and backward records what it did at every step (getTrace): for
   * learners and for pictures of BPTT. Off by default; when on, the whole-sequence WebAssembly
   * path steps aside (the steps give the same bits) and the model's whole-step kernel is not used.
   */
  recordTraces = false;
  private lastTrace: RecurrentTrace | undefined;

  /** The forward cache; undefined until the first forward. */
  private cache: Cache | undefined;
  /** True once backward has run on the current cache (for getInitialStateGradients). */
  private hasBackward = false;
  /** Stateful only: each sample's carried state vectors, each [B, H] with B fixed by the input shape; created by build(). */
  private carried: Tensor[] | undefined;

  protected constructor(given: RNNOptions, namePrefix: string, className: string) {
    super(given, namePrefix);
    this.className = className;
    const where = `${className} ${this.name}`;
    if (given.units === undefined) throw new TypeError(`${where}: units is required; expected a positive integer`);
    this.units = checkPositiveInteger(given.units, `${where}: units`);
    this.returnSequences = checkBoolean(given.returnSequences ?? false, `${where}: returnSequences`);
    this.isStateful = checkBoolean(given.stateful ?? false, `${where}: stateful`);
    this.goBackwards = checkBoolean(given.goBackwards ?? false, `${where}: goBackwards`);
    this.useBias = checkBoolean(given.useBias ?? true, `${where}: useBias`);
    const dropout = given.dropout ?? 0;
    if (typeof dropout !== 'number' || !Number.isFinite(dropout) || dropout < 0 || dropout >= 1) {
      throw new RangeError(`${where}: dropout: expected a rate in [0, 1), got ${describe(dropout)}`);
    }
    this.dropout = dropout;
    this.kernelInitializer = resolveInitializer(given.kernelInitializer ?? 'glorotUniform', `${where}: kernelInitializer`);
    this.recurrentInitializer = resolveInitializer(given.recurrentInitializer ?? 'orthogonal', `${where}: recurrentInitializer`);
    this.biasInitializer = resolveInitializer(given.biasInitializer ?? 'zeros', `${where}: biasInitializer`);
    if (this.biasInitializer === 'orthogonal') {
      throw new TypeError(`${where}: biasInitializer: got 'orthogonal', which needs a 2-D shape; expected 'zeros', 'ones', 'glorotUniform' or 'glorotNormal' for the bias`);
    }
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
    if (this.isStateful && declared !== undefined && declared[0] === null) throw this.statefulNeedsBatch(declared);
  }

  /** The weights' initial values for I input features, in Keras' order (drawn at build). */
  protected abstract drawWeights(inputDim: number): RecurrentWeights;

  override get stateful(): boolean {
    return this.isStateful;
  }

  /** Which implementation ran the cell in the last forward (kernels.ts chooses): for learners and tests. */
  get cellKernel(): CellKernelKind | undefined {
    return this.cache?.kernel.kind;
  }

  build(inputShape: Shape): void {
    const where = `${this.className} ${this.name}.build`;
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
    if (this.isStateful && (batch === null || batch === undefined)) throw this.statefulNeedsBatch(inputShape);
    const H = this.units;
    const G = this.cell.gateBlocks * H;
    const { kernel, recurrentKernel, bias } = this.drawWeights(I);
    this.kernel = kernel;
    this.recurrentKernel = recurrentKernel;
    this.bias = bias;
    this.dKernel = new Tensor(allocate(this.dtype, I * G), [I, G]);
    this.dRecurrentKernel = new Tensor(allocate(this.dtype, H * G), [H, G]);
    this.dBias = bias === undefined ? undefined : new Tensor(allocate(this.dtype, bias.size), [...bias.shape]);
    if (this.isStateful) this.carried = this.cell.stateNames.map(() => new Tensor(allocate(this.dtype, batch! * H), [batch!, H]));
    this.inputDim = I;
    this.builtInputShape = [inputShape[0] ?? null, inputShape[1] ?? null, I];
    // Made now rather than inside the first training step: the forward's buffers when the batch
    // shape is known (batchInputShape), else the cell kernel's compiled code when it may be used.
    const T = inputShape[1];
    if (typeof batch === 'number' && typeof T === 'number' && batch > 0 && T > 0) this.cacheFor(batch, T);
    else prepareCellKernel(this.cell, this.dtype);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (!Array.isArray(inputShape) || inputShape.length !== 3) {
      throw new RangeError(`${this.className} ${this.name}.computeOutputShape: inputShape is ${Array.isArray(inputShape) ? formatShape(inputShape) : describe(inputShape)}; expected [batch, timeSteps, features]`);
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
  forward(input: Tensor, options?: ForwardOptions): Tensor {
    const training = options?.training ?? false;
    if (typeof training !== 'boolean') throw new TypeError(`${this.className} ${this.name}.forward: options.training: expected true or false, got ${describe(training)}`);
    return this[forwardTrusted](this.checkInput(input), undefined, training).clone();
  }

  /**
   * forward on a checked x; the output is the cache's (layer.ts, forwardTrusted). `inputMask`
   * ([B, T], 1 = masked) is the mask the layer below passes on (Sequential); maskValue replaces it.
   */
  override [forwardTrusted](x: Tensor, inputMask?: Uint8Array, training = true): Tensor {
    const [B, T, I] = x.shape as [number, number, number];
    const H = this.units;
    const cache = this.cacheFor(B, T);
    const { kernel } = cache;
    const { xT } = kernel.buffers;

    // xT = x transposed to time-major: xT[t, b, :] = x[b, t, :] (x[b, T-1-t, :] with goBackwards)
    transposeBT(x.data, xT, B, T, I, 0, this.goBackwards);
    // Masking: mask[t, b] = 1 when every feature of x_t[b] equals maskValue, or else when the
    // layer below masked step t of sample b.
    if (this.maskMatch !== null) cache.maskedRows = findMaskedSteps(xT, cache.mask, T * B, I, this.maskMatch);
    else if (inputMask !== undefined) cache.maskedRows = transposeMask(inputMask, cache.mask, B, T, this.goBackwards);
    else cache.maskedRows = 0;
    const mask = cache.maskedRows > 0 ? cache.mask : undefined;
    // Input dropout while training (after the mask is found: a dropped feature is no padding):
    // xT[t, b, k] ·= s[b, k], one draw per sample and feature, held for every step.
    cache.dropoutScale = training && this.dropout > 0 ? this.dropInputs(cache) : undefined;

    this.loadInitialState(cache);
    if (mask === undefined && kernel.forwardSequence !== undefined) kernel.forwardSequence(this.currentWeights());
    else this.forwardSteps(cache, mask);
    this.keepFinalState(cache);
    this.hasBackward = false;
    this.lastTrace = this.recordTraces ? this.traceForward(cache) : undefined;

    // The output, batch-major again: every h_t as [B, T, H], or h_T as [B, H] (a view of slot T of states[0]).
    if (this.returnSequences) transposeTB(kernel.buffers.states[0], B * H, cache.output.data, B, T, H); // y[b, t, :] = hs[t+1, b, :]
    return cache.output;
  }

  /** The forward on the cache (xT and slot 0 of the states filled): the input projection, then per step the recurrent product and the cell. */
  private forwardSteps(cache: Cache, mask: Uint8Array | undefined): void {
    const { B, T, kernel } = cache;
    const { xT, gates, states, recurrentGates } = kernel.buffers;
    const hs = states[0];
    const H = this.units;
    const G = this.cell.gateBlocks * H;
    const I = this.inputDim;
    const U = this.recurrentKernel.data;
    const Gr = G - (this.cell.ownRecurrentBlocks ?? 0) * H; // the columns of U the per-step product covers (all but the cell's own)

    // gates = xT·W + b for all T·B rows at once: [T·B, I] × [I, G] → [T·B, G]
    gemm(T * B, G, I, { data: xT, offset: 0, ld: I }, { data: this.kernel.data, offset: 0, ld: G }, { data: gates, offset: 0, ld: G }, false);
    if (this.bias !== undefined) addRowVector(gates, recurrentGates === undefined ? this.bias.data : this.bias.data.subarray(0, G), T * B, G);
    // separateRecurrent: the recurrent part starts as its bias row b_r (0 without a bias) at every step.
    if (recurrentGates !== undefined) {
      recurrentGates.fill(0);
      if (this.bias !== undefined) addRowVector(recurrentGates, this.bias.data.subarray(G, 2 * G), T * B, G);
    }

    // The MatrixRefs of the per-step product are made once and moved along by their offsets,
    // so nothing is allocated inside the time loop.
    const hPrev: MatrixRef = { data: hs, offset: 0, ld: H }; //                       h_{t-1}: slot t of hs, [B, H]
    const recurrent: MatrixRef = { data: U, offset: 0, ld: G }; //                    U [H, G]
    const zStep: MatrixRef = { data: recurrentGates ?? gates, offset: 0, ld: G }; //  step t of gates (or recurrentGates), [B, G]

    for (let t = 0; t < T; t++) {
      // z_t += h_{t-1}·U   ([B, H] × [H, Gr], accumulated onto the input projection, or onto b_r in recurrentGates)
      hPrev.offset = t * B * H;
      zStep.offset = t * B * G;
      recurrent.packing = t === 0 ? 'remember' : 'reuse'; // U is the same at every step: packed once
      gemm(B, Gr, H, hPrev, recurrent, zStep, true);

      kernel.forwardStep(t, U); // the cell: gates, new state (lstm-cell.ts, or its WebAssembly twin; gru-cell.ts, simple-rnn-cell.ts)

      // Masked steps: the state passes through unchanged, state_t = state_{t-1} (what the cell
      // computed for those rows is never read: their dz_t is 0 in backward).
      if (mask !== undefined) {
        for (let b = 0; b < B; b++) {
          if (mask[t * B + b] === 0) continue;
          const from = t * B * H + b * H;
          for (const state of states) state.copyWithin(from + B * H, from, from + H);
        }
      }
    }
  }

  /** Stateful: each sample's final state, slot T of each state buffer, starts its next batch (after every forward, as Keras' predict). */
  private keepFinalState({ B, T, kernel }: Cache): void {
    if (this.carried === undefined) return;
    const n = B * this.units;
    this.carried.forEach((state, k) => state.data.set(kernel.buffers.states[k].subarray(T * n, (T + 1) * n)));
  }

  /** Slot 0 of each state buffer: the initial state (the carried one when stateful, else zeros). */
  private loadInitialState({ B, kernel }: Cache): void {
    const { states } = kernel.buffers;
    for (let k = 0; k < states.length; k++) {
      if (this.carried !== undefined) states[k].set(this.carried[k].data, 0);
      else states[k].fill(0, 0, B * this.units);
    }
  }

  /**
   * The mask that goes on with the last forward's output (layer.ts, outputMask): with
   * returnSequences and a masked step, [B, T] with 1 at the masked steps; else undefined. As in
   * Keras, it is the input's mask in the input's order, also with goBackwards.
   */
  override [outputMask](): Uint8Array | undefined {
    const cache = this.cache;
    if (!this.returnSequences || cache === undefined || cache.maskedRows === 0) return undefined;
    const { B, T } = cache;
    const out = (cache.outputMask ??= new Uint8Array(B * T));
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = cache.mask[(this.goBackwards ? T - 1 - t : t) * B + b];
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Backward: BPTT, walking the steps in reverse and reading only the cache.
  // ---------------------------------------------------------------------------------------

  /** dy shaped like the last output → dL/dx [B, T, I] (a new tensor); replaces the weight gradients. */
  backward(outputGradient: Tensor): Tensor {
    if (this.cache === undefined) {
      throw new Error(`${this.className} ${this.name}.backward: there is no forward pass to differentiate; call forward(x) first`);
    }
    return this[backwardTrusted](this.checkOutputGradient(outputGradient, this.cache.B, this.cache.T), true)!.clone();
  }

  /** backward on a checked dy; dL/dx in the cache, if asked for (layer.ts, backwardTrusted). */
  override [backwardTrusted](outputGradient: Tensor, needInputGradient: boolean): Tensor | undefined {
    const cache = this.cache!;
    const { B, T, kernel } = cache;
    const { dGates, dStates, dXT, dRecurrentGates } = kernel.buffers;
    const mask = cache.maskedRows > 0 ? cache.mask : undefined;
    const H = this.units;
    const G = this.cell.gateBlocks * H;
    const I = this.inputDim;
    const U = this.recurrentKernel.data;
    const own = (this.cell.ownRecurrentBlocks ?? 0) * H; // the columns of U whose product the cell does itself
    const Gr = G - own; //                                  the columns the loop's per-step product covers
    const dR = dRecurrentGates ?? dGates; //                dL/d(the per-step product): its own buffer with separateRecurrent
    const dy = outputGradient.data;
    const seq = this.returnSequences;

    // After the last step nothing flows back from the future; without returnSequences the
    // output y = h_T, so dy enters as dL/dh_T.
    for (let k = 0; k < dStates.length; k++) dStates[k].fill(0);
    if (!seq) dStates[0].set(dy);
    const trace = this.recordTraces ? this.lastTrace : undefined;
    if (trace !== undefined) trace.stateGradients = undefined;
    if (mask === undefined && kernel.backwardSequence !== undefined && trace === undefined) {
      // Small batches in the WebAssembly kernel: everything below in one call, bit for bit.
      kernel.backwardSequence(this.currentWeights(), this.currentGradients(), seq ? dy : undefined, needInputGradient);
      this.hasBackward = true;
      return needInputGradient ? this.inputGradient(cache) : undefined;
    }
    kernel.setOutputGradient(seq ? dy : null);

    const dhNext = dStates[0];
    const dzStep: MatrixRef = { data: dR, offset: 0, ld: G }; //                           step t of dGates (or dRecurrentGates), [B, G]
    const recurrentT: MatrixRef = { data: U, offset: 0, ld: G, transpose: true }; //       Uᵀ [G, H]
    const dhRef: MatrixRef = { data: dhNext, offset: 0, ld: H }; //                                         [B, H]
    const passThrough = mask === undefined ? undefined : (cache.passThrough ??= dStates.map(() => allocate(this.dtype, B * H)));

    for (let t = T - 1; t >= 0; t--) {
      if (trace !== undefined) this.traceStateGradients(trace, cache, t, seq ? dy : undefined);
      // Masked steps, state_t = state_{t-1}: dL/d(state_{t-1}) = dL/d(state_t) (+ dy_t for h),
      // kept aside while the cell runs on the whole step, then put back; their dz_t = 0 (no
      // share in dW, dU, db, dx_t).
      if (passThrough !== undefined) {
        for (let b = 0; b < B; b++) {
          if (mask![t * B + b] === 0) continue;
          const s = b * H;
          for (let k = 0; k < dStates.length; k++) passThrough[k].set(dStates[k].subarray(s, s + H), s);
          if (seq) for (let j = 0; j < H; j++) passThrough[0][s + j] += dy[(b * T + t) * H + j];
        }
      }

      kernel.backwardStep(t, U); // the cell: dz_t, and dL/d(state_{t-1}) along its own paths

      if (passThrough !== undefined) {
        for (let b = 0; b < B; b++) {
          if (mask![t * B + b] === 0) continue;
          const s = b * H;
          for (let k = 0; k < dStates.length; k++) dStates[k].set(passThrough[k].subarray(s, s + H), s);
          dGates.fill(0, (t * B + b) * G, (t * B + b + 1) * G);
          if (dRecurrentGates !== undefined) dRecurrentGates.fill(0, (t * B + b) * G, (t * B + b + 1) * G);
        }
      }

      // ∂ of z_t = … + h_{t-1}·U w.r.t. h_{t-1}:  dhNext += dz_t·Uᵀ   ([B, Gr] × [Gr, H]; dr_t with separateRecurrent)
      // (onto 0 for a computed row; a masked row keeps what passed straight through, as its dz_t = 0)
      dzStep.offset = t * B * G;
      recurrentT.packing = t === T - 1 ? 'remember' : 'reuse'; // Uᵀ likewise, packed once
      gemm(B, H, Gr, dzStep, recurrentT, dhRef, true);
    }
    // dStates now hold dL/d(state_0) (see getInitialStateGradients).

    // The weight gradients sum over every step, so each is ONE product over all T·B rows.
    this.sumWeightGradients(cache, 0, T * B, this.currentGradients());
    if (trace !== undefined) this.traceStepGradients(cache, trace);
    this.hasBackward = true;
    if (!needInputGradient) return undefined; // the model's first layer: nothing below needs dx

    // ∂ of z = x_t·W + …:        dx_t = dz_t·Wᵀ, all steps at once   ([T·B, G] × [G, I])
    gemm(T * B, I, G, { data: dGates, offset: 0, ld: G }, { data: this.kernel.data, offset: 0, ld: G, transpose: true }, { data: dXT, offset: 0, ld: I }, false);
    return this.inputGradient(cache);
  }

  /**
   * What the last forward (and backward, if one followed) did at every step, recorded while
   * `recordTraces` is true. Throws when nothing was recorded.
   */
  getTrace(): RecurrentTrace {
    if (this.lastTrace === undefined) {
      throw new Error(`${this.className} ${this.name}.getTrace: nothing recorded; set recordTraces = true, then run forward (and backward), e.g. model.computeGradients(x, y)`);
    }
    return this.lastTrace;
  }

  /** The forward's trace, batch-major: every step's gates and states (copies of the cache). */
  private traceForward({ B, T, kernel }: Cache): RecurrentTrace {
    const H = this.units;
    const G = this.cell.gateBlocks * H;
    const gates = new Tensor(allocate(this.dtype, B * T * G), [B, T, G]);
    transposeTB(kernel.buffers.gates, 0, gates.data, B, T, G); // gates[b, t, :] = buffer[t, b, :]
    const states = kernel.buffers.states.map((buffer) => {
      const out = new Tensor(allocate(this.dtype, B * (T + 1) * H), [B, T + 1, H]);
      transposeTB(buffer, 0, out.data, B, T + 1, H); // states[b, s, :] = slot s of the buffer
      return out;
    });
    return { stateNames: this.cell.stateNames, gates, states };
  }

  /** Backward step t is about to run: what arrives at it (dL/dh_t whole, with dy_t; the other states from step t+1). */
  private traceStateGradients(trace: RecurrentTrace, { B, T, kernel }: Cache, t: number, dy: TypedArray | undefined): void {
    const H = this.units;
    const grads = (trace.stateGradients ??= kernel.buffers.dStates.map(() => new Tensor(allocate(this.dtype, B * T * H), [B, T, H])));
    const norms = (trace.gradientNorms ??= new Array<number>(T).fill(0));
    kernel.buffers.dStates.forEach((d, k) => {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          grads[k].data[(b * T + t) * H + j] = d[b * H + j] + (k === 0 && dy !== undefined ? dy[(b * T + t) * H + j] : 0);
        }
      }
    });
    let sum = 0;
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) sum += grads[0].data[(b * T + t) * H + j] ** 2;
    norms[t] = Math.sqrt(sum);
  }

  /** After backward: each step's share of the weight gradients (RNNbow's itemized gradients), in getWeights() order. */
  private traceStepGradients(cache: Cache, trace: RecurrentTrace): void {
    const { B, T } = cache;
    trace.stepGradients = Array.from({ length: T }, (_, t) => {
      const shares = this.getGradients().map((g) => new Tensor(allocate(this.dtype, g.size), g.shape));
      this.sumWeightGradients(cache, t * B, B, { kernel: shares[0].data, recurrentKernel: shares[1].data, bias: shares[2]?.data });
      return shares;
    });
  }

  /**
   * dW, dU, db summed over the time-major rows [from, from + count) of the cache (x_t, h_{t-1},
   * dz_t of those steps and samples), written into `into` (overwritten). backward sums all T·B
   * rows at once; a trace, each step's B rows on their own (its share of the gradients).
   */
  private sumWeightGradients(cache: Cache, from: number, count: number, into: SequenceWeights): void {
    const { T, B, kernel } = cache;
    const { xT, states, dGates, dRecurrentGates, extras } = kernel.buffers;
    const hs = states[0];
    const mask = cache.maskedRows > 0 ? cache.mask : undefined;
    const H = this.units;
    const G = this.cell.gateBlocks * H;
    const I = this.inputDim;
    const own = (this.cell.ownRecurrentBlocks ?? 0) * H;
    const Gr = G - own;
    const dR = dRecurrentGates ?? dGates;
    // With masked steps, over the rows of the unmasked steps only, gathered in order: a masked
    // row's dz is 0 and would add nothing, and leaving it out means a padded sequence sums
    // exactly the rows of the unpadded one, in the same order, so padding changes no bit.
    let rows = count; // the rows summed over: (x_t, h_{t-1}, dz_t) for every step and sample (of the range)
    let xRows = xT.subarray(from * I); //    (rows, I)
    let hRows = hs.subarray(from * H); //    (rows, H)  slots 0..T-1 of hs are h_{t-1}
    let dzRows = dGates.subarray(from * G); // (rows, G)
    let dRRows = dR.subarray(from * G); //     (rows, G)  dRecurrentGates with separateRecurrent, else dGates
    let operandRows = own > 0 ? extras[this.cell.ownRecurrentOperand!].subarray(from * H) : undefined; // (rows, H) the cell's own product's left operand
    if (mask !== undefined) {
      const kept = (cache.unmasked ??= {
        x: allocate(this.dtype, T * B * I),
        hPrev: allocate(this.dtype, T * B * H),
        dz: allocate(this.dtype, T * B * G),
        dr: dRecurrentGates === undefined ? undefined : allocate(this.dtype, T * B * G),
        operand: operandRows === undefined ? undefined : allocate(this.dtype, T * B * H),
      });
      const rowMask = mask.subarray(from, from + count);
      rows = keepUnmaskedRows(rowMask, count, xRows, kept.x, I);
      keepUnmaskedRows(rowMask, count, hRows, kept.hPrev, H);
      keepUnmaskedRows(rowMask, count, dzRows, kept.dz, G);
      xRows = kept.x;
      hRows = kept.hPrev;
      dzRows = kept.dz;
      dRRows = dzRows;
      if (dRecurrentGates !== undefined) {
        keepUnmaskedRows(rowMask, count, dRecurrentGates.subarray(from * G), kept.dr!, G);
        dRRows = kept.dr!;
      }
      if (operandRows !== undefined) {
        keepUnmaskedRows(rowMask, count, operandRows, kept.operand!, H);
        operandRows = kept.operand!;
      }
    }
    // ∂ of z = x_t·W + …:        dW = Σ_t x_tᵀ·dz_t = xTᵀ·dGates      ([I, T·B] × [T·B, G])
    gemm(I, G, rows, { data: xRows, offset: 0, ld: I, transpose: true }, { data: dzRows, offset: 0, ld: G }, { data: into.kernel, offset: 0, ld: G }, false);
    // ∂ of z = … + h_{t-1}·U:    dU = Σ_t h_{t-1}ᵀ·dz_t = hPrevᵀ·dGates, hPrev = slots 0..T-1 of hs
    // (its first Gr columns; with separateRecurrent hPrevᵀ·dRecurrentGates)
    gemm(H, Gr, rows, { data: hRows, offset: 0, ld: H, transpose: true }, { data: dRRows, offset: 0, ld: G }, { data: into.recurrentKernel, offset: 0, ld: G }, false);
    // ownRecurrentBlocks: the cell's product z[:, Gr:] += operand_t·U[:, Gr:], so dU[:, Gr:] = operandᵀ·dGates[:, Gr:]
    if (operandRows !== undefined) {
      gemm(H, own, rows, { data: operandRows, offset: 0, ld: H, transpose: true }, { data: dzRows, offset: Gr, ld: G }, { data: into.recurrentKernel, offset: Gr, ld: G }, false);
    }
    // ∂ of z = … + b:            db = Σ_t Σ_b dz_t, the column sums of dGates
    // (separateRecurrent: db_x from dGates, then db_r = Σ dr from dRecurrentGates)
    if (into.bias !== undefined && dRecurrentGates === undefined) columnSums(dzRows, into.bias, rows, G);
    if (into.bias !== undefined && dRecurrentGates !== undefined) {
      columnSums(dzRows, into.bias.subarray(0, G), rows, G);
      columnSums(dRRows, into.bias.subarray(G, 2 * G), rows, G);
    }
  }

  /** dx[b, t, :] = dXT[t, b, :] (step T-1-t with goBackwards): dL/dx batch-major, in the input's order. */
  private inputGradient(cache: Cache): Tensor {
    const { B, T, kernel } = cache;
    transposeTB(kernel.buffers.dXT, 0, cache.dx.data, B, T, this.inputDim, this.goBackwards);
    const scale = cache.dropoutScale;
    if (scale !== undefined) {
      // ∂ of the dropped input x ⊙ s: dx = d(x ⊙ s) ⊙ s
      const I = this.inputDim;
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let k = 0; k < I; k++) cache.dx.data[(b * T + t) * I + k] *= scale[b * I + k];
    }
    return cache.dx;
  }

  /** Draw the input dropout's scales s[b, k] (0, or 1 / (1 − rate)) and apply them to every step of xT. */
  private dropInputs(cache: Cache): TypedArray {
    const { B, T, kernel } = cache;
    const I = this.inputDim;
    const scale = (cache.dropoutBuffer ??= allocate(this.dtype, B * I));
    const kept = 1 / (1 - this.dropout);
    for (let r = 0; r < B * I; r++) scale[r] = randomUniform() < this.dropout ? 0 : kept;
    const { xT } = kernel.buffers;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let k = 0; k < I; k++) xT[(t * B + b) * I + k] *= scale[b * I + k];
    return scale;
  }

  /** The live weight arrays, as the kernels take them. */
  private currentWeights(): SequenceWeights {
    const w = this.weightArrays;
    w.kernel = this.kernel.data;
    w.recurrentKernel = this.recurrentKernel.data;
    w.bias = this.bias?.data;
    return w;
  }

  /** The live gradient arrays, as the kernels fill them. */
  private currentGradients(): SequenceWeights {
    const g = this.gradientArrays;
    g.kernel = this.dKernel.data;
    g.recurrentKernel = this.dRecurrentKernel.data;
    g.bias = this.dBias?.data;
    return g;
  }

  /**
   * The gradient with respect to the initial state from the last backward: one [B, H] per state
   * vector ([dL/dh0, dL/dc0] for an LSTM). For checks and for learners: a stateful layer does not
   * pass it on to the previous batch (gradients stop at the batch edge, truncated BPTT, as in Keras).
   */
  getInitialStateGradients(): Tensor[] {
    if (this.cache === undefined || !this.hasBackward) {
      throw new Error(`${this.className} ${this.name}.getInitialStateGradients: no backward pass yet; call forward(x) then backward(dy) first`);
    }
    const { B } = this.cache;
    return this.cache.kernel.buffers.dStates.map((d) => new Tensor(d.slice(0, B * this.units), [B, this.units]));
  }

  /**
   * The final state of every sample after the last forward, one [B, H] copy per state vector in
   * the cell's order ([h_T, c_T] for an LSTM, [h_T] for GRU and SimpleRNN): what Keras'
   * `return_state=True` appends to the layer's outputs (for a masked sample, the state after its
   * last unmasked step). At layer level only: a model passes one tensor from layer to layer, so
   * there is no `returnState` option. Stateful or not.
   */
  finalStates(): Tensor[] {
    if (this.cache === undefined) {
      throw new Error(`${this.className} ${this.name}.finalStates: no forward pass yet; call forward(x) first`);
    }
    const { B, T, kernel } = this.cache;
    const n = B * this.units;
    return kernel.buffers.states.map((s) => new Tensor(s.slice(T * n, (T + 1) * n), [B, this.units]));
  }

  // ---------------------------------------------------------------------------------------
  // State (stateful layers)
  // ---------------------------------------------------------------------------------------

  /** Copies of the carried state vectors ([h, c] for an LSTM), each [B, H]; [] when not stateful. */
  override getStates(): Tensor[] {
    return this.carried === undefined ? [] : this.carried.map((s) => s.clone());
  }

  /**
   * The live carried state tensors (as Keras' and TF.js' `layer.states`), each [B, H]; [] when not
   * stateful or not built. Written by each forward; read getStates() for copies.
   */
  get states(): Tensor[] {
    return this.carried ?? [];
  }

  /** Zero the carried state, or set it to the given vectors ([h, c] for an LSTM, each [B, H]). A no-op for stateless layers. */
  override resetStates(states?: TensorLike[]): void {
    const where = `${this.className} ${this.name}.resetStates`;
    const carried = this.carried;
    if (carried === undefined) {
      if (states !== undefined) {
        throw new TypeError(this.isStateful
          ? `${where}: got states, but the layer is not built yet (its batch size is unknown); build it or run forward first`
          : `${where}: got states, but the layer is not stateful; expected no argument`);
      }
      return;
    }
    if (states === undefined) {
      for (const state of carried) state.data.fill(0);
      return;
    }
    const names = this.cell.stateNames;
    const listed = `[${names.join(', ')}]`;
    if (!Array.isArray(states) || states.length !== carried.length) {
      throw new TypeError(`${where}: states is ${describe(states)}; expected ${listed}, ${carried.length === 1 ? 'one tensor' : `${carried.length} tensors`} of shape ${formatShape(carried[0].shape)}`);
    }
    // Check every one before writing any, so a failed call changes nothing.
    const incoming = states.map((state, k) => {
      const argument = `${where}: states[${k}] (${names[k]})`;
      const t = toTensor(state, argument, this.dtype);
      if (!sameShape(t.shape, carried[k].shape)) {
        throw new RangeError(`${argument} has shape ${formatShape(t.shape)}; expected ${formatShape(carried[k].shape)} [batch, units]`);
      }
      assertFinite(t, argument);
      return t;
    });
    incoming.forEach((t, k) => carried[k].data.set(t.data));
  }

  /** The config fields every recurrent layer serialises (the subclass adds its own). */
  protected recurrentConfig(): Record<string, unknown> {
    return {
      name: this.name,
      units: this.units,
      returnSequences: this.returnSequences,
      stateful: this.isStateful,
      maskValue: this.maskValue,
      goBackwards: this.goBackwards,
      useBias: this.useBias,
      dropout: this.dropout,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      dtype: this.dtype,
      batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
    };
  }

  // ---------------------------------------------------------------------------------------
  // Checks and buffers
  // ---------------------------------------------------------------------------------------

  /** Validate x, convert it to the layer's dtype, build the layer on first use. */
  private checkInput(input: unknown): Tensor {
    const argument = `${this.className} ${this.name}: input x`;
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
    const fixedBatch = this.carried?.[0].shape[0] ?? (this.isStateful ? this.batchInputShape?.[0] : undefined);
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
    const argument = `${this.className} ${this.name}.backward: output gradient dy`;
    const dy = toTensor(outputGradient, argument, this.dtype);
    const expected = this.returnSequences ? [B, T, this.units] : [B, this.units];
    if (!sameShape(dy.shape, expected)) {
      throw new RangeError(`${argument} has shape ${formatShape(dy.shape)}; expected ${formatShape(expected)}, the shape of the last forward's output`);
    }
    assertFinite(dy, argument);
    return dy;
  }

  /** The cache for this (B, T): reused when the shape repeats, else made afresh (its kernel chosen in kernels.ts). */
  private cacheFor(B: number, T: number): Cache {
    if (this.cache !== undefined && this.cache.B === B && this.cache.T === T) return this.cache;
    const H = this.units;
    const d = this.dtype;
    const kernel = createCellKernel(this.cell, d, this.inputDim, H, B, T, this.cache?.kernel);
    const hs = kernel.buffers.states[0];
    this.cache = {
      B,
      T,
      kernel,
      // The output: every h_t, batch-major, or h_T as a view of the last slot of hs.
      output: this.returnSequences ? new Tensor(allocate(d, B * T * H), [B, T, H]) : new Tensor(hs.subarray(T * B * H, (T + 1) * B * H), [B, H]),
      dx: new Tensor(allocate(d, B * T * this.inputDim), [B, T, this.inputDim]),
      mask: new Uint8Array(T * B), // (T, B)
      maskedRows: 0,
      unmasked: undefined,
      passThrough: undefined,
      outputMask: undefined,
      dropoutScale: undefined,
      dropoutBuffer: undefined,
    };
    this.hasBackward = false;
    return this.cache;
  }

  private statefulNeedsBatch(shape: Shape): TypeError {
    return new TypeError(`${this.className} ${this.name}: stateful: true needs the batch size fixed; got input shape ${formatShape(shape)}, expected batchInputShape [batchSize, timeSteps, features] on this layer or on the model's first layer (the number of samples must then be a multiple of batchSize)`);
  }
}

