// Shapes: B = batch, T = time steps, I = input features, H = units (G = 4H).
/**
 * The LSTM cell in WebAssembly (lstm.wat) for float32 layers with the default activations (tanh,
 * sigmoid): lstm-cell.ts' operations in the same order, so the same bits. It implements the cell
 * kernel interface (cell.ts, CellKernel) as WasmLSTMCellKernel; kernels.ts chooses it, and
 * test/lstm-wasm.test.ts compares it with the TypeScript cell bit for bit. Two modes, by shape:
 * - cells (shapes whose products gemm.ts runs packed): the sequence loop (rnn.ts) makes the
 *   products with gemm on the kernel's views, and the kernel runs each step's cell pass
 *   (cellForward, cellBackward) in SIMD lanes;
 * - whole (`fusedLSTMShape`: small batches, every product unpacked): also the loop's whole
 *   forward and whole backward, products included, in one WebAssembly call each way
 *   (forwardSequence, backwardSequence: the same operations as rnn.ts' loop).
 *
 * One kernel per (B, T) cache, with a memory of its own holding the cache (and in the whole mode
 * the weights and the gradients), as Float32Array views that rnn.ts uses as its cache. The memory
 * never grows (a larger shape gets a new kernel), so the views stay valid. The model's whole
 * training step (src/model/fused-step.ts) makes an LSTMKernel of its own, with room for the
 * Dense layer after the LSTM's regions.
 */
import { compileKernel, instantiateKernel, wasmMemory } from '../../../base/wasm.js';
import { ROWS_WASM_MIN_WORK, usePacked } from '../../../tensor/gemm.js';
import { instantiateGemm, prepareGemm } from '../../../tensor/gemm-wasm.js';
import type { TypedArray } from '../../../tensor/alloc.js';
import type { CellKernel, SequenceBuffers, SequenceWeights } from '../cell.js';
import { LSTM_WASM_BASE64 } from './lstm-binary.js';

type ForwardKernel = (
  T: number, B: number, I: number, H: number, flags: number,
  W: number, U: number, bias: number,
  xT: number, gates: number, hs: number, cs: number, actC: number,
) => void;
type BackwardKernel = (
  T: number, B: number, I: number, H: number, flags: number,
  W: number, U: number,
  xT: number, gates: number, hs: number, cs: number, actC: number,
  dGates: number, dy: number, dh: number, dc: number,
  dW: number, dU: number, dBias: number, dXT: number, scratch: number,
) => void;
type CellForwardKernel = (B: number, H: number, gates: number, cPrev: number, actC: number, hNext: number) => void;
type CellBackwardKernel = (
  B: number, H: number, T: number, t: number, returnSequences: number,
  gates: number, dGates: number, actC: number, cPrev: number, dh: number, dc: number, dy: number,
) => void;

/**
 * The regions of a kernel's memory, in lstm.ts' names; sizes in floats for (I, H, B, T). The
 * cells mode keeps no weights, gradients or scratch (lstm.ts' products read and write its own).
 */
const regionSizes = (I: number, H: number, B: number, T: number, whole: boolean, extra: number) => {
  const G = 4 * H;
  const TB = T * B;
  const inWhole = (n: number): number => (whole ? n : 0);
  return {
    W: inWhole(I * G), U: inWhole(H * G), bias: inWhole(G), dW: inWhole(I * G), dU: inWhole(H * G), dBias: inWhole(G),
    xT: TB * I, gates: TB * G, hs: (T + 1) * B * H, cs: (T + 1) * B * H, actC: TB * H, dGates: TB * G,
    dXT: TB * I, dh: B * H, dc: B * H, dy: TB * H, scratch: inWhole(Math.max(I, H) * TB),
    extra, // room for a user of the same memory (src/model/fused-step.ts), after the layer's regions
  };
};
type Region = keyof ReturnType<typeof regionSizes>;
export type LSTMKernelViews = Record<Region, Float32Array>;

/** lstm.wat compiled; null where WebAssembly SIMD is unavailable; undefined until first asked. */
let compiled: WebAssembly.Module | null | undefined;

/**
 * Whether the fused kernel computes an LSTM of these sizes exactly as lstm.ts would: only when
 * gemm.ts would run none of its six products packed (the kernel has the unpacked row kernels
 * only), which is the tutorials' batch-1 case and other small ones.
 */
export function fusedLSTMShape(I: number, H: number, B: number, T: number): boolean {
  const G = 4 * H;
  const TB = T * B;
  return !usePacked(TB, G, I) && !usePacked(B, G, H) && !usePacked(B, H, G)
    && !usePacked(I, G, TB) && !usePacked(H, G, TB) && !usePacked(TB, I, G);
}

/** gemm.ts' choice for one unpacked product of m·n·k multiply-adds: the float32 SIMD row kernels (1) or the float64 ones (0). */
const simd = (m: number, n: number, k: number): number => (m * n * k >= ROWS_WASM_MIN_WORK ? 1 : 0);

/** Compile the module (and gemm.wat, which it imports) now, so that the first forward does not. */
export function prepareLSTMKernel(): void {
  if (compiled === undefined) compiled = compileKernel(LSTM_WASM_BASE64);
  if (compiled !== null) prepareGemm();
}

export class LSTMKernel {
  /** The regions as Float32Array views of the kernel's memory. */
  readonly views: LSTMKernelViews;
  /** Where each region starts in the memory, in bytes. */
  readonly bytes: Record<Region, number>;
  private readonly forwardKernel: ForwardKernel;
  private readonly backwardKernel: BackwardKernel;
  private readonly cellForwardKernel: CellForwardKernel;
  private readonly cellBackwardKernel: CellBackwardKernel;

  private constructor(
    readonly I: number, readonly H: number, readonly B: number, readonly T: number,
    /** The whole mode (forward, backward) or the cells mode (cellForward, cellBackward): see the top of this file. */
    readonly whole: boolean,
    readonly extra: number,
    readonly memory: WebAssembly.Memory, readonly exports: WebAssembly.Exports,
  ) {
    const sizes = regionSizes(I, H, B, T, whole, extra);
    const views = {} as LSTMKernelViews;
    const bytes = {} as Record<Region, number>;
    let at = 0; // floats, each region 16-byte aligned
    for (const region of Object.keys(sizes) as Region[]) {
      views[region] = new Float32Array(memory.buffer, at * 4, sizes[region]);
      bytes[region] = at * 4;
      at += Math.ceil(sizes[region] / 4) * 4;
    }
    this.views = views;
    this.bytes = bytes;
    this.forwardKernel = exports.forward as ForwardKernel;
    this.backwardKernel = exports.backward as BackwardKernel;
    this.cellForwardKernel = exports.cellForward as CellForwardKernel;
    this.cellBackwardKernel = exports.cellBackward as CellBackwardKernel;
  }

  /**
   * A kernel for an LSTM of these sizes, or null where WebAssembly SIMD is unavailable. With
   * `previous` (the layer's kernel for its last shape), its memory and instances are reused when
   * the new shape fits in them, so a fit whose last batch is smaller does not make a new memory
   * twice an epoch; the previous kernel's views then alias the new ones (the layer drops them).
   */
  static create(I: number, H: number, B: number, T: number, whole: boolean, previous?: LSTMKernel, extra = 0): LSTMKernel | null {
    if (compiled === undefined) compiled = compileKernel(LSTM_WASM_BASE64);
    if (compiled === null) return null;
    const sizes = regionSizes(I, H, B, T, whole, extra);
    const bytes = 4 * Object.values(sizes).reduce((sum, n) => sum + Math.ceil(n / 4) * 4, 0);
    if (previous !== undefined && previous.I === I && previous.H === H && previous.memory.buffer.byteLength >= bytes) {
      return new LSTMKernel(I, H, B, T, whole, extra, previous.memory, previous.exports);
    }
    // Each memory reserves address space of its own; where the engine refuses one more (very
    // many live layers), the layer keeps its JavaScript loops, which give the same bits.
    const memory = wasmMemory(Math.max(1, Math.ceil(bytes / 65536)));
    if (memory === null) return null;
    const gemm = instantiateGemm(memory);
    if (gemm === null) return null;
    const exports = instantiateKernel(compiled, { env: { memory }, gemm: { rowsAxpy: gemm.rowsAxpy, rowsDot: gemm.rowsDot } });
    if (exports === null) return null;
    return new LSTMKernel(I, H, B, T, whole, extra, memory, exports);
  }

  /**
   * lstm.ts' forward from xT, W, U, bias and slot 0 of hs / cs (all in `views`): fills gates,
   * hs, cs and actC.
   */
  forward(hasBias: boolean): void {
    const { I, H, B, T } = this;
    const o = this.bytes;
    this.forwardKernel(T, B, I, H, this.forwardFlags(hasBias), o.W, o.U, o.bias, o.xT, o.gates, o.hs, o.cs, o.actC);
  }

  /** The forward's flags: the bias, and gemm.ts' choice for its two products. */
  forwardFlags(hasBias: boolean): number {
    const { I, H, B, T } = this;
    const G = 4 * H;
    return (hasBias ? 1 : 0) | (simd(T * B, G, I) << 1) | (simd(B, G, H) << 2);
  }

  /**
   * lstm.ts' backward, with dh holding dL/dh_T (dy, or zeros with returnSequences), dc zeros and,
   * with returnSequences, dy the output gradient: fills dGates, dW, dU, dBias (with a bias) and
   * dXT (when asked), and leaves dL/dh0, dL/dc0 in dh, dc.
   */
  backward(hasBias: boolean, returnSequences: boolean, needInputGradient: boolean): void {
    const { I, H, B, T } = this;
    const o = this.bytes;
    const flags = this.backwardFlags(hasBias, returnSequences, needInputGradient);
    this.backwardKernel(T, B, I, H, flags, o.W, o.U, o.xT, o.gates, o.hs, o.cs, o.actC, o.dGates, o.dy, o.dh, o.dc, o.dW, o.dU, o.dBias, o.dXT, o.scratch);
  }

  /**
   * The cell pass of forward step t (cells mode): from z_t in step t of gates and c_{t-1} in
   * slot t of cs, the activated gates, c_t, act(c_t) and h_t, as lstm.ts' loop over the step.
   */
  cellForward(t: number): void {
    const { H, B } = this;
    const o = this.bytes;
    const step = 4 * t * B * 4 * H; // bytes to step t of gates
    const slot = 4 * t * B * H; //     bytes to slot t of cs, step t of actC
    this.cellForwardKernel(B, H, o.gates + step, o.cs + slot, o.actC + slot, o.hs + slot + 4 * B * H);
  }

  /**
   * The cell pass of backward step t (cells mode): dz_t into step t of dGates from dh, dc (and
   * dy, with returnSequences), dL/dc_{t-1} left in dc and dh zeroed, as lstm.ts' loop over the step.
   */
  cellBackward(t: number, returnSequences: boolean): void {
    const { H, B, T } = this;
    const o = this.bytes;
    const step = 4 * t * B * 4 * H;
    const slot = 4 * t * B * H;
    this.cellBackwardKernel(B, H, T, t, returnSequences ? 1 : 0, o.gates + step, o.dGates + step, o.actC + slot, o.cs + slot, o.dh, o.dc, o.dy);
  }

  /** The backward's flags: what it computes, and gemm.ts' choice for its four products. */
  backwardFlags(hasBias: boolean, returnSequences: boolean, needInputGradient: boolean): number {
    const { I, H, B, T } = this;
    const G = 4 * H;
    const TB = T * B;
    return (hasBias ? 1 : 0) | (returnSequences ? 2 : 0) | (needInputGradient ? 4 : 0)
      | (simd(B, H, G) << 3) | (simd(I, G, TB) << 4) | (simd(H, G, TB) << 5) | (simd(TB, I, G) << 6);
  }
}

/**
 * The WebAssembly LSTM cell as a cell kernel (cell.ts): its buffers are views of the kernel's
 * memory; the whole-sequence calls exist in the whole mode only.
 */
export class WasmLSTMCellKernel implements CellKernel {
  readonly kind: 'wasm-cells' | 'wasm-whole';
  readonly buffers: SequenceBuffers;
  /** Whether the next backward steps add dy (views.dy) to dL/dh_t: returnSequences. */
  private withOutputGradient = false;
  readonly forwardSequence?: (weights: SequenceWeights) => void;
  readonly backwardSequence?: (weights: SequenceWeights, gradients: SequenceWeights, dy: TypedArray | undefined, needInputGradient: boolean) => void;

  constructor(readonly kernel: LSTMKernel) {
    const { views, I, H, B, T } = kernel;
    this.kind = kernel.whole ? 'wasm-whole' : 'wasm-cells';
    this.buffers = {
      B, T, I, H,
      xT: views.xT, gates: views.gates, states: [views.hs, views.cs], extras: [views.actC],
      dGates: views.dGates, dStates: [views.dh, views.dc], dXT: views.dXT,
    };
    if (kernel.whole) {
      this.forwardSequence = (weights) => {
        views.W.set(weights.kernel);
        views.U.set(weights.recurrentKernel);
        if (weights.bias !== undefined) views.bias.set(weights.bias);
        kernel.forward(weights.bias !== undefined);
      };
      this.backwardSequence = (weights, gradients, dy, needInputGradient) => {
        views.U.set(weights.recurrentKernel); // the weights as they are now, as the loop's steps read them
        if (needInputGradient) views.W.set(weights.kernel);
        if (dy !== undefined) views.dy.set(dy);
        kernel.backward(gradients.bias !== undefined, dy !== undefined, needInputGradient);
        gradients.kernel.set(views.dW);
        gradients.recurrentKernel.set(views.dU);
        if (gradients.bias !== undefined) gradients.bias.set(views.dBias);
      };
    }
  }

  forwardStep(t: number): void {
    this.kernel.cellForward(t);
  }

  setOutputGradient(dy: TypedArray | null): void {
    this.withOutputGradient = dy !== null;
    if (dy !== null) this.kernel.views.dy.set(dy);
  }

  backwardStep(t: number): void {
    this.kernel.cellBackward(t, this.withOutputGradient);
  }
}
