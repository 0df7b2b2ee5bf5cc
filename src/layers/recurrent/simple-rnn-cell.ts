// Shapes: B = batch, T = time steps, H = units, G = H (one gate block: z itself).
/**
 * The SimpleRNN cell (Keras' SimpleRNNCell, the Elman network): one time step, forward and
 * backward. The sequence loop (rnn.ts) fills z_t = x_t·W + b + h_{t-1}·U before forwardStep, and
 * after backwardStep adds dz_t·Uᵀ to dL/dh_{t-1} and sums dW, dU, db over all steps.
 *
 *   forward, sample b, unit j          backward (∂L/∂· written d·)
 *   h_t = act(z_t)                     dz_t = dh_t · act'(h_t),   dh_t = (from step t+1) + dy_t
 *
 * act is the activation (tanh by default, relu, linear); its derivative is taken from the output,
 * so backward needs only h_t (kept in gates). A float32 cell's tanh is the float32 polynomial the
 * LSTM cell uses (float32-activations.ts); a float64 cell's is Math.tanh.
 *
 * Buffers (cell.ts, SequenceBuffers), step t of each:
 *   gates     (T, B, H)    z_t in, then h_t = act(z_t)
 *   states    [hs]         (T+1, B, H): slot t = h_{t-1}, slot t+1 = h_t
 *   dGates    (T, B, H)    dL/dz_t
 *   dStates   [dh]         (B, H): dL/dh_t arriving from step t+1; left 0 (the loop adds dz_t·Uᵀ = dL/dh_{t-1})
 */
import type { DType, TypedArray } from '../../tensor/alloc.js';
import { derivativeFromOutput } from '../../tensor/elementwise.js';
import type { RecurrentCell, SequenceBuffers } from './cell.js';
import { cellActivation, type CellFunction, type LSTMActivation } from './lstm-cell.js';

/** The activation act. */
export type SimpleRNNActivation = LSTMActivation;

export class SimpleRNNCell implements RecurrentCell {
  readonly gateBlocks = 1;
  readonly stateNames = ['h'] as const;
  readonly extraCount = 0;
  private readonly act: CellFunction;

  constructor(readonly activation: SimpleRNNActivation, dtype: DType) {
    this.act = activation === 'tanh' && dtype === 'float32' ? 'tanhFloat32' : activation;
  }

  forwardStep(buffers: SequenceBuffers, t: number): void {
    const { B, H, gates } = buffers;
    const hs = buffers.states[0];
    const act = this.act;
    const at = t * B * H; //        step t of gates; also slot t of hs (h_{t-1})
    const next = at + B * H; //      slot t+1 of hs: h_t
    for (let r = 0; r < B * H; r++) {
      const h = cellActivation(act, gates[at + r]); // h_t = act(z_t)
      gates[at + r] = h; //                            kept for backward
      hs[next + r] = h;
    }
  }

  backwardStep(buffers: SequenceBuffers, t: number, dy: TypedArray | undefined): void {
    const { B, T, H, gates, dGates } = buffers;
    const dhNext = buffers.dStates[0];
    const act = this.activation;
    const at = t * B * H;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const r = b * H + j;
        //                                                       differentiates:
        let dh = dhNext[r]; //                                   z_{t+1} = … + h_t·U   (h_t feeds the next step)
        dhNext[r] = 0; //                                        (read; the loop sums dL/dh_{t-1} = dz_t·Uᵀ into it)
        if (dy !== undefined) dh += dy[(b * T + t) * H + j]; //  y_t = h_t             (returnSequences)
        dGates[at + r] = dh * derivativeFromOutput(act, gates[at + r]); // h_t = act(z_t)
      }
    }
  }
}
