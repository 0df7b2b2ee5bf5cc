// Shapes: B = batch, T = time steps, I = input features, H = units, G = gateBlocks·H (the gate blocks side by side).
/**
 * What a recurrent cell is, and what runs it. Three roles, three files:
 *
 *   a cell (lstm-cell.ts)      the math of ONE time step, forward and backward side by side, on
 *                              raw typed arrays: z_t (already holding x_t·W + b + h_{t-1}·U) and
 *                              the previous state in, the activated gates and the new state out;
 *                              and back again.
 *   the sequence loop (rnn.ts) everything that is not the cell: the time-major cache, the input
 *                              projection as one product over all steps, the per-step recurrent
 *                              product, carried state, masking, direction, returnSequences, and
 *                              the weight gradients as single products over all steps.
 *   a cell kernel (kernels.ts) what the loop calls for each step's cell pass: the TypeScript
 *                              cell itself, or a faster implementation of the same interface
 *                              (the WebAssembly LSTM cell, wasm/lstm-wasm.ts), chosen in one place
 *                              and tested against the TypeScript cell bit for bit.
 *
 * A cell whose z is "input projection + recurrent projection" (LSTM, SimpleRNN) needs nothing
 * else: it declares its gate blocks, its state vectors and what it keeps per step for backward.
 *
 * The GRU does not add its recurrent product to z as it is, and says so with one of two optional
 * properties (default: neither, the additive path above, which the LSTM and SimpleRNN take):
 *
 *   separateRecurrent: true   (GRU resetAfter: true, Keras' default) the loop writes
 *       r_t = h_{t-1}·U + b_r (b_r the bias's second row: such a layer's bias is [2, G]) into a
 *       buffer of its own, recurrentGates, instead of adding it to z; the cell combines the two
 *       itself (hh = act(x_h + r ⊙ r_h)) and writes dL/dr_t into dRecurrentGates; the loop's
 *       products dL/dh_{t-1} += dr_t·Uᵀ, dU = hPrevᵀ·dR and db_r = Σ dR read that buffer.
 *   ownRecurrentBlocks: n     (GRU resetAfter: false, n = 1) the loop's product covers the first
 *       G - n·H columns of U only; the cell does the last n blocks' product itself, inside its
 *       step (its left operand depends on the step's own gates: (r ⊙ h_{t-1})·U_h), from the
 *       recurrent kernel the loop passes to forwardStep / backwardStep, keeps that operand in
 *       extras[ownRecurrentOperand], and adds its path to dL/dh_{t-1} in its backward; the loop
 *       still sums those columns of dU over all steps, as operandᵀ·dz.
 *
 * Everything else (masking, state, direction, the weight gradients over all steps) stays the loop's.
 */
import type { TypedArray } from '../../tensor/alloc.js';

/**
 * The sequence loop's cache, time-major (step t of a buffer is one contiguous [B, ·] block),
 * allocated once per (B, T) and reused by every call with that shape. Slot s of a state buffer
 * holds the state after s steps: slot 0 is the initial state, and step t (from 0) reads slot t and
 * writes slot t+1.
 */
export interface SequenceBuffers {
  readonly B: number;
  readonly T: number;
  readonly I: number;
  readonly H: number;
  xT: TypedArray; //           (T, B, I)    the input, time-major (in processing order: reversed with goBackwards)
  gates: TypedArray; //        (T, B, G)    z_t before the cell's step, its activated gates after
  states: TypedArray[]; //     each (T+1, B, H), in the cell's stateNames order; states[0] is h (the output)
  extras: TypedArray[]; //     each (T, B, H): what the cell keeps from step t for its backward
  dGates: TypedArray; //       (T, B, G)    dL/dz_t
  dStates: TypedArray[]; //    each (B, H): dL/d(state_t) flowing back in time; after the loop dL/d(state_0)
  dXT: TypedArray; //          (T, B, I)    dL/dx, time-major
  // Only for a cell with separateRecurrent (GRU resetAfter):
  recurrentGates?: TypedArray; //  (T, B, G) h_{t-1}·U + b_r, the recurrent part of z kept apart
  dRecurrentGates?: TypedArray; // (T, B, G) dL/d(recurrentGates)
}

/** A recurrent cell: one time step's math. Pure: no weights, no state, no masking, no time loop. */
export interface RecurrentCell {
  /** How many H-wide gate blocks z has (LSTM 4: i, f, c, o; SimpleRNN 1). */
  readonly gateBlocks: number;
  /** The state vectors carried from step to step, h first (LSTM ['h', 'c']; SimpleRNN ['h']). */
  readonly stateNames: readonly string[];
  /** How many (T, B, H) buffers the cell keeps per step for its backward (LSTM 1: act(c_t)). */
  readonly extraCount: number;
  /** Optional, default false: the recurrent product goes to recurrentGates, not onto z (see the file's header). */
  readonly separateRecurrent?: boolean;
  /** Optional, default 0: how many trailing gate blocks' recurrent product the cell does itself (see the file's header). */
  readonly ownRecurrentBlocks?: number;
  /** With ownRecurrentBlocks: which extras buffer holds the left operand of the cell's own product, (T, B, H). */
  readonly ownRecurrentOperand?: number;
  /**
   * Forward step t over all B samples: on entry step t of `gates` holds z_t and slot t of each
   * state buffer the previous state; on exit step t of `gates` holds what backward needs (the
   * activated gates) and slot t+1 of each state buffer the new state.
   */
  forwardStep(buffers: SequenceBuffers, t: number, recurrentKernel: TypedArray): void;
  /**
   * Backward step t over all B samples: on entry each dStates[k] holds dL/d(state_t) from the
   * steps after t; `dy` (with returnSequences: the output gradient, [B, T, H] batch-major) adds
   * its step t to dL/dh_t. On exit step t of dGates holds dL/dz_t and dStates dL/d(state_{t-1})
   * along the cell's own paths (the recurrent product's share, dz_t·Uᵀ, the loop adds after).
   * `recurrentKernel` (U [H, G], live) is for a cell with ownRecurrentBlocks; others ignore it.
   */
  backwardStep(buffers: SequenceBuffers, t: number, dy: TypedArray | undefined, recurrentKernel: TypedArray): void;
}

/** Which implementation of a cell ran: the TypeScript cell, or the WebAssembly one per step or over the whole sequence. */
export type CellKernelKind = 'typescript' | 'wasm-cells' | 'wasm-whole';

/** The weights of an additive recurrent layer as the loop hands them to a kernel (live arrays). */
export interface SequenceWeights {
  kernel: TypedArray; //               [I, G]  W
  recurrentKernel: TypedArray; //      [H, G]  U
  bias: TypedArray | undefined; //     [G]     b
}

/**
 * The fast-path interface: what the sequence loop calls, per (B, T) shape. The TypeScript cell
 * (TypeScriptCellKernel, kernels.ts) and the WebAssembly LSTM cell (wasm/lstm-wasm.ts) both
 * implement it; kernels.ts chooses between them.
 */
export interface CellKernel {
  readonly kind: CellKernelKind;
  /** The cache the loop works on (for the WebAssembly kernel, views of its memory). */
  readonly buffers: SequenceBuffers;
  /** The cell's forward step t on `buffers` (RecurrentCell.forwardStep; U for a cell that does part of the recurrent product itself). */
  forwardStep(t: number, recurrentKernel: TypedArray): void;
  /** With returnSequences, the output gradient [B, T, H] the next backward steps read (null: none). */
  setOutputGradient(dy: TypedArray | null): void;
  /** The cell's backward step t on `buffers` (RecurrentCell.backwardStep, dy as set above). */
  backwardStep(t: number, recurrentKernel: TypedArray): void;
  /**
   * Optional: the loop's whole forward (projection, every step's product and cell pass) in one
   * call, from xT and slot 0 of the states; the same operations in the same order. Only taken
   * when no step is masked.
   */
  forwardSequence?(weights: SequenceWeights): void;
  /**
   * Optional: the loop's whole backward in one call (dStates set as the loop sets them before its
   * steps), the weight gradients written into `gradients` and, when asked, dXT.
   */
  backwardSequence?(weights: SequenceWeights, gradients: SequenceWeights, dy: TypedArray | undefined, needInputGradient: boolean): void;
}
