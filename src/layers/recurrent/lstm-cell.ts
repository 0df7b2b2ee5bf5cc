// Shapes: B = batch, T = time steps, H = units, G = 4H (the four gate blocks [i|f|c|o] side by side).
/**
 * The LSTM cell: one time step, forward and backward, nothing else. The sequence loop (rnn.ts)
 * does the rest: it fills z_t = x_t·W + b + h_{t-1}·U before forwardStep, and after backwardStep
 * adds dz_t·Uᵀ to dL/dh_{t-1} and sums dW, dU, db over all steps.
 *
 * Which path runs: a float32 LSTM with the default activations (tanh, sigmoid) runs this file's
 * twin in WebAssembly (wasm/lstm.wat, bit for bit the same, chosen in kernels.ts); every other
 * LSTM, and every LSTM when kernels.ts' `useWasmCells(false)` is set, runs this file.
 *
 *   forward, sample b, unit j                       backward (∂L/∂· written d·)
 *   i   = σ(z_i)                                    dz_i = di · σ'(i)
 *   f   = σ(z_f)                                    dz_f = df · σ'(f)
 *   g   = act(z_c)                                  dz_c = dg · act'(g)
 *   o   = σ(z_o)                                    dz_o = do · σ'(o)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g                       dc = dc_t + dh·o·act'(act(c_t));  di = dc·g, dg = dc·i, df = dc·c_{t-1}, dc_{t-1} = dc·f
 *   h_t = o ⊙ act(c_t)                              do = dh·act(c_t)
 *
 * σ is the recurrent activation (sigmoid, Keras 2's hardSigmoid = clip(0.2·x + 0.5, 0, 1), or
 * Keras 3's hardSigmoidKeras3 = relu6(x + 3) / 6),
 * act the activation (tanh, relu or linear). A float32 cell's sigmoid and tanh are those of
 * float32-activations.ts (accurate far beyond float32's precision, and what the WebAssembly twin
 * computes); a float64 cell's are Math's. Derivatives are taken from the outputs (σ' = σ(1-σ),
 * tanh' = 1 - tanh²; see elementwise.ts), so backward needs only what forward stored.
 *
 * Buffers (cell.ts, SequenceBuffers), step t of each:
 *   gates     (T, B, 4H)   z_t in, then the activated gates [i|f|g|o]
 *   states    [hs, cs]     each (T+1, B, H): slot t = (h_{t-1}, c_{t-1}), slot t+1 = (h_t, c_t)
 *   extras    [actC]       (T, B, H): act(c_t)
 *   dGates    (T, B, 4H)   dL/dz_t
 *   dStates   [dh, dc]     each (B, H): dL/dh_t, dL/dc_t arriving from step t+1; left as dL/dh_{t-1} (0: the loop adds dz·Uᵀ), dL/dc_{t-1}
 */
import type { TypedArray } from '../../tensor/alloc.js';
import { derivativeFromOutput, hardSigmoid, hardSigmoidKeras3, sigmoid } from '../../tensor/elementwise.js';
import { sigmoidFloat32, tanhFloat32 } from '../../tensor/float32-activations.js';
import type { RecurrentCell, SequenceBuffers } from './cell.js';

/** The cell activation (applied to the candidate g and to c_t). */
export type LSTMActivation = 'tanh' | 'relu' | 'linear';
/** The gate activation σ (applied to i, f and o). */
export type LSTMRecurrentActivation = 'sigmoid' | 'hardSigmoid' | 'hardSigmoidKeras3';

export class LSTMCell implements RecurrentCell {
  readonly gateBlocks = 4;
  readonly stateNames = ['h', 'c'] as const;
  readonly extraCount = 1;
  /** The functions behind act and σ: a float32 cell's tanh and sigmoid are the float32 polynomials. */
  private readonly act: CellFunction;
  private readonly rec: GateFunction;

  constructor(readonly activation: LSTMActivation, readonly recurrentActivation: LSTMRecurrentActivation, dtype: 'float32' | 'float64') {
    this.act = activation === 'tanh' && dtype === 'float32' ? 'tanhFloat32' : activation;
    this.rec = recurrentActivation === 'sigmoid' && dtype === 'float32' ? 'sigmoidFloat32' : recurrentActivation;
  }

  forwardStep(buffers: SequenceBuffers, t: number): void {
    const { B, H, gates } = buffers;
    const hs = buffers.states[0];
    const cs = buffers.states[1];
    const actC = buffers.extras[0];
    const { act, rec } = this;
    const G = 4 * H;
    const prev = t * B * H; //  slot t of hs / cs: h_{t-1}, c_{t-1}; also step t of actC (which has no slot 0)
    const next = prev + B * H; // slot t+1: h_t, c_t
    for (let b = 0; b < B; b++) {
      const z = t * B * G + b * G; // sample b's row of gates [i|f|c|o]
      const s = b * H; //             sample b's row in a (B, H) slot
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
        actC[prev + s + j] = a;
        hs[next + s + j] = o * a; //                            h_t = o⊙act(c_t)
      }
    }
  }

  backwardStep(buffers: SequenceBuffers, t: number, dy: TypedArray | undefined): void {
    const { B, T, H, gates, dGates } = buffers;
    const cs = buffers.states[1];
    const actC = buffers.extras[0];
    const dhNext = buffers.dStates[0]; // (B, H) dL/dh_t arriving from step t+1 (through z_{t+1} = … + h_t·U)
    const dcNext = buffers.dStates[1]; // (B, H) dL/dc_t arriving from step t+1 (through c_{t+1} = f⊙c_t + …)
    const act = this.activation;
    const rec = this.recurrentActivation;
    const G = 4 * H;
    const prev = t * B * H; // slot t of cs (c_{t-1}); also step t of actC
    for (let b = 0; b < B; b++) {
      const z = t * B * G + b * G;
      const s = b * H;
      for (let j = 0; j < H; j++) {
        const i = gates[z + j]; //         the step's gates, after activation
        const f = gates[z + H + j];
        const g = gates[z + 2 * H + j];
        const o = gates[z + 3 * H + j];
        const a = actC[prev + s + j]; //    act(c_t)
        const cPrev = cs[prev + s + j]; //  c_{t-1}
        //                                                         differentiates:
        let dh = dhNext[s + j]; //                                 z_{t+1} = … + h_t·U   (h_t feeds the next step)
        dhNext[s + j] = 0; //                                      (read; the loop sums dL/dh_{t-1} = dz_t·Uᵀ into it)
        if (dy !== undefined) dh += dy[(b * T + t) * H + j]; //    y_t = h_t             (returnSequences)
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
  }
}

/** The function behind σ: a float32 cell's sigmoid is sigmoidFloat32. */
export type GateFunction = LSTMRecurrentActivation | 'sigmoidFloat32';
/** The function behind act: a float32 cell's tanh is tanhFloat32. */
export type CellFunction = LSTMActivation | 'tanhFloat32';

/** σ for the gates i, f, o (plain functions, no closures: the JIT inlines them). */
export function gateActivation(kind: GateFunction, z: number): number {
  return kind === 'sigmoidFloat32' ? sigmoidFloat32(z) : kind === 'sigmoid' ? sigmoid(z) : kind === 'hardSigmoid' ? hardSigmoid(z) : hardSigmoidKeras3(z);
}

/** act for the candidate g and for c_t. */
export function cellActivation(kind: CellFunction, z: number): number {
  return kind === 'tanhFloat32' ? tanhFloat32(z) : kind === 'tanh' ? Math.tanh(z) : kind === 'relu' ? (z > 0 ? z : 0) : z;
}
