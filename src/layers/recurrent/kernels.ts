// Shapes: B = batch, T = time steps, I = input features, H = units, G = gateBlocks·H.
/**
 * The one place that chooses how a recurrent layer's cell runs (cell.ts, CellKernel): a float32
 * LSTM cell with the default activations runs in WebAssembly (wasm/lstm-wasm.ts) where WebAssembly
 * SIMD is available; every other cell, dtype or activation runs its TypeScript cell through
 * TypeScriptCellKernel. Both give the same bits (test/lstm-wasm.test.ts).
 */
import { allocate, type DType, type TypedArray } from '../../tensor/alloc.js';
import type { CellKernel, RecurrentCell, SequenceBuffers } from './cell.js';
import { LSTMCell } from './lstm-cell.js';
import { LSTMKernel, WasmLSTMCellKernel, fusedLSTMShape, prepareLSTMKernel } from './wasm/lstm-wasm.js';

/** A cell's own TypeScript steps on buffers allocated for one (B, T). */
export class TypeScriptCellKernel implements CellKernel {
  readonly kind = 'typescript';
  readonly buffers: SequenceBuffers;
  private dy: TypedArray | undefined;

  constructor(private readonly cell: RecurrentCell, dtype: DType, I: number, H: number, B: number, T: number) {
    const G = cell.gateBlocks * H;
    const states = cell.stateNames.map(() => allocate(dtype, (T + 1) * B * H));
    this.buffers = {
      B, T, I, H,
      xT: allocate(dtype, T * B * I), //                                     (T, B, I)
      gates: allocate(dtype, T * B * G), //                                  (T, B, G)
      states, //                                                             each (T+1, B, H)
      extras: Array.from({ length: cell.extraCount }, () => allocate(dtype, T * B * H)), // each (T, B, H)
      dGates: allocate(dtype, T * B * G), //                                 (T, B, G)
      dStates: cell.stateNames.map(() => allocate(dtype, B * H)), //         each (B, H)
      dXT: allocate(dtype, T * B * I), //                                    (T, B, I)
    };
    if (cell.separateRecurrent === true) {
      this.buffers.recurrentGates = allocate(dtype, T * B * G); //          (T, B, G)
      this.buffers.dRecurrentGates = allocate(dtype, T * B * G); //         (T, B, G)
    }
  }

  forwardStep(t: number, recurrentKernel: TypedArray): void {
    this.cell.forwardStep(this.buffers, t, recurrentKernel);
  }

  setOutputGradient(dy: TypedArray | null): void {
    this.dy = dy ?? undefined;
  }

  backwardStep(t: number, recurrentKernel: TypedArray): void {
    this.cell.backwardStep(this.buffers, t, this.dy, recurrentKernel);
  }
}

/** Off only in tests, which compare the WebAssembly cell with the TypeScript one. */
let wasmCells = true;

/** For tests and learners: run LSTM cells in WebAssembly where they can (true, the default), or always the TypeScript cell. Read when a layer makes its cache for a new (B, T). */
export function useWasmCells(on: boolean): void {
  wasmCells = on;
}

/**
 * Whether an LSTM of this dtype and these activations runs its cell in WebAssembly (where
 * WebAssembly SIMD is available): float32 with tanh and sigmoid gates, the default. The model's
 * whole training step (src/model/fused-step.ts) asks the same question of its LSTM's config.
 */
export function lstmCellRunsInWasm(dtype: DType, activation: string, recurrentActivation: string): boolean {
  return wasmCells && dtype === 'float32' && activation === 'tanh' && recurrentActivation === 'sigmoid';
}

/** Whether this cell would run in WebAssembly. */
function wasmCapable(cell: RecurrentCell, dtype: DType): cell is LSTMCell {
  return cell instanceof LSTMCell && lstmCellRunsInWasm(dtype, cell.activation, cell.recurrentActivation);
}

/**
 * The kernel for a cell on (B, T) batches of I features and H units. `previous` is the layer's
 * last kernel: a WebAssembly kernel reuses its memory when the new shape fits.
 */
export function createCellKernel(cell: RecurrentCell, dtype: DType, I: number, H: number, B: number, T: number, previous: CellKernel | undefined): CellKernel {
  if (wasmCapable(cell, dtype)) {
    const before = previous instanceof WasmLSTMCellKernel ? previous.kernel : undefined;
    const kernel = LSTMKernel.create(I, H, B, T, fusedLSTMShape(I, H, B, T), before);
    if (kernel !== null) return new WasmLSTMCellKernel(kernel);
    // no WebAssembly SIMD, or no memory to be had: the TypeScript cell gives the same bits
  }
  return new TypeScriptCellKernel(cell, dtype, I, H, B, T);
}

/** Compile what createCellKernel will use for this cell now (at build), so the first forward does not. */
export function prepareCellKernel(cell: RecurrentCell, dtype: DType): void {
  if (wasmCapable(cell, dtype)) prepareLSTMKernel();
}
