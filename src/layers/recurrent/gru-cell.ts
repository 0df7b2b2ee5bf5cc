// Shapes: B = batch, T = time steps, H = units, G = 3H (the three gate blocks [z|r|h] side by side).
/**
 * The GRU cell (Cho et al. 2014, as Keras 3 computes it, keras/src/layers/rnn/gru.py): one time
 * step, forward and backward, nothing else. The sequence loop (rnn.ts) does the rest. Keras has
 * two GRUs, and so does this cell; they differ only in where the reset gate r meets U_h:
 *
 * resetAfter: true (Keras' default since 2.3; cuDNN's). The bias is [2, 3H], b_x then b_r. The loop
 * fills x_t = x_t·W + b_x (into gates) and, apart (cell.ts, separateRecurrent), r_t = h_{t-1}·U + b_r
 * (into recurrentGates); the cell combines them:
 *
 *   forward, sample b, unit j                      backward (∂L/∂· written d·; dh = dL/dh_t)
 *   z   = σ(x_z + r_z)                             dx_z = dr_z = dz·σ'(z)
 *   r   = σ(x_r + r_r)                             dx_r = dr_r = dr·σ'(r),     dr = da·r_h
 *   hh  = act(a),  a = x_h + r ⊙ r_h               dx_h = da = dhh·act'(hh),   dr_h = da·r
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ hh               dz = dh·(h_{t-1} - hh), dhh = dh·(1 - z), dh_{t-1} = dh·z (+ dr·Uᵀ: the loop)
 *
 * resetAfter: false (the original GRU; TF.js' only one). The bias is [3H]. The loop adds
 * h_{t-1}·U to the z and r blocks only (cell.ts, ownRecurrentBlocks = 1): the candidate's
 * recurrent product needs r, computed inside this step, so the cell does it itself:
 *
 *   z   = σ(z_z)                 z_z = x_t·W_z + b_z + h_{t-1}·U_z       dz_z = dz·σ'(z)
 *   r   = σ(z_r)                 z_r = x_t·W_r + b_r + h_{t-1}·U_r       dz_r = dr·σ'(r),  dr = dq ⊙ h_{t-1}
 *   q   = r ⊙ h_{t-1}            (kept: the loop's dU_h = Σ qᵀ·dz_h)     dq = dz_h·U_hᵀ (this cell's product);  dh_{t-1} += dq ⊙ r
 *   hh  = act(z_h)               z_h = x_t·W_h + b_h + q·U_h             dz_h = dhh·act'(hh)
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ hh                                      as above (dh_{t-1} = dh·z, + dz_{z,r}·U_{z,r}ᵀ: the loop)
 *
 * σ is the recurrent activation (sigmoid default, hardSigmoid, hardSigmoidKeras3), act the
 * activation (tanh default, relu, linear); derivatives from the outputs, as in lstm-cell.ts, and a
 * float32 cell's sigmoid and tanh are the float32 polynomials the LSTM cell uses.
 *
 * Buffers (cell.ts, SequenceBuffers), step t of each:
 *   gates            (T, B, 3H)  x_t·W + b_x (and + h_{t-1}·U_{z,r}, + q·U_h without resetAfter) in; then [z|r|hh]
 *   recurrentGates   (T, B, 3H)  resetAfter only: h_{t-1}·U + b_r, kept (r_h is read by backward)
 *   states           [hs]        (T+1, B, H): slot t = h_{t-1}, slot t+1 = h_t
 *   extras           [q]         resetAfter false only: (T, B, H) q = r ⊙ h_{t-1}
 *   dGates           (T, B, 3H)  dL/d(the input part of z)
 *   dRecurrentGates  (T, B, 3H)  resetAfter only: dL/d(recurrentGates)
 *   dStates          [dh]        (B, H): dL/dh_t from step t+1; left as the direct dL/dh_{t-1} (the loop adds the U path)
 */
import { allocate, type DType, type TypedArray } from '../../tensor/alloc.js';
import { derivativeFromOutput } from '../../tensor/elementwise.js';
import { gemm, type MatrixRef } from '../../tensor/gemm.js';
import type { RecurrentCell, SequenceBuffers } from './cell.js';
import { cellActivation, gateActivation, type CellFunction, type GateFunction, type LSTMActivation, type LSTMRecurrentActivation } from './lstm-cell.js';

/** The candidate's activation. */
export type GRUActivation = LSTMActivation;
/** The gate activation σ (applied to z and r). */
export type GRURecurrentActivation = LSTMRecurrentActivation;

export class GRUCell implements RecurrentCell {
  readonly gateBlocks = 3;
  readonly stateNames = ['h'] as const;
  readonly extraCount: number;
  readonly separateRecurrent: boolean;
  readonly ownRecurrentBlocks: number;
  readonly ownRecurrentOperand = 0;
  private readonly act: CellFunction;
  private readonly rec: GateFunction;
  /** resetAfter false: (B, H) dq = dz_h·U_hᵀ of the step being differentiated (resized with B). */
  private dq: TypedArray;
  // The MatrixRefs of the cell's own product, moved along by their offsets (nothing allocated per step).
  private readonly qRef: MatrixRef;
  private readonly uRef: MatrixRef;
  private readonly zRef: MatrixRef;
  private readonly dzRef: MatrixRef;
  private readonly uTRef: MatrixRef;
  private readonly dqRef: MatrixRef;

  constructor(readonly activation: GRUActivation, readonly recurrentActivation: GRURecurrentActivation, readonly resetAfter: boolean, private readonly dtype: DType) {
    this.act = activation === 'tanh' && dtype === 'float32' ? 'tanhFloat32' : activation;
    this.rec = recurrentActivation === 'sigmoid' && dtype === 'float32' ? 'sigmoidFloat32' : recurrentActivation;
    this.separateRecurrent = resetAfter;
    this.ownRecurrentBlocks = resetAfter ? 0 : 1;
    this.extraCount = resetAfter ? 0 : 1;
    this.dq = allocate(dtype, 0);
    const empty = this.dq;
    this.qRef = { data: empty, offset: 0, ld: 0 };
    this.uRef = { data: empty, offset: 0, ld: 0 };
    this.zRef = { data: empty, offset: 0, ld: 0 };
    this.dzRef = { data: empty, offset: 0, ld: 0 };
    this.uTRef = { data: empty, offset: 0, ld: 0, transpose: true };
    this.dqRef = { data: empty, offset: 0, ld: 0 };
  }

  forwardStep(buffers: SequenceBuffers, t: number, recurrentKernel: TypedArray): void {
    const { B, H, gates } = buffers;
    const hs = buffers.states[0];
    const { act, rec } = this;
    const G = 3 * H;
    const prev = t * B * H; //   slot t of hs: h_{t-1}; also step t of q (which has no slot 0)
    const next = prev + B * H; // slot t+1: h_t
    if (this.resetAfter) {
      const rg = buffers.recurrentGates!;
      for (let b = 0; b < B; b++) {
        const zi = t * B * G + b * G; // sample b's row of gates / recurrentGates [z|r|h]
        const s = b * H; //             sample b's row in a (B, H) slot
        for (let j = 0; j < H; j++) {
          const hPrev = hs[prev + s + j];
          const z = gateActivation(rec, gates[zi + j] + rg[zi + j]); //                     z = σ(x_z + r_z)
          const r = gateActivation(rec, gates[zi + H + j] + rg[zi + H + j]); //             r = σ(x_r + r_r)
          const hh = cellActivation(act, gates[zi + 2 * H + j] + r * rg[zi + 2 * H + j]); // hh = act(x_h + r⊙r_h)
          gates[zi + j] = z;
          gates[zi + H + j] = r;
          gates[zi + 2 * H + j] = hh;
          hs[next + s + j] = z * hPrev + (1 - z) * hh; //                                   h_t = z⊙h_{t-1} + (1-z)⊙hh
        }
      }
      return;
    }
    // resetAfter false. First z, r and q = r⊙h_{t-1} ...
    const q = buffers.extras[0];
    for (let b = 0; b < B; b++) {
      const zi = t * B * G + b * G;
      const s = b * H;
      for (let j = 0; j < H; j++) {
        const z = gateActivation(rec, gates[zi + j]); //         z = σ(z_z)
        const r = gateActivation(rec, gates[zi + H + j]); //     r = σ(z_r)
        gates[zi + j] = z;
        gates[zi + H + j] = r;
        q[prev + s + j] = r * hs[prev + s + j]; //               q = r⊙h_{t-1}
      }
    }
    // ... then z_h += q·U_h   ([B, H] × [H, H], U_h = columns [2H, 3H) of U) ...
    const { qRef, uRef, zRef } = this;
    qRef.data = q;
    qRef.offset = prev;
    qRef.ld = H;
    uRef.data = recurrentKernel;
    uRef.offset = 2 * H;
    uRef.ld = G;
    zRef.data = gates;
    zRef.offset = t * B * G + 2 * H;
    zRef.ld = G;
    gemm(B, H, H, qRef, uRef, zRef, true);
    // ... then the candidate and the new state.
    for (let b = 0; b < B; b++) {
      const zi = t * B * G + b * G;
      const s = b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[zi + j];
        const hh = cellActivation(act, gates[zi + 2 * H + j]); // hh = act(z_h)
        gates[zi + 2 * H + j] = hh;
        hs[next + s + j] = z * hs[prev + s + j] + (1 - z) * hh; // h_t = z⊙h_{t-1} + (1-z)⊙hh
      }
    }
  }

  backwardStep(buffers: SequenceBuffers, t: number, dy: TypedArray | undefined, recurrentKernel: TypedArray): void {
    const { B, T, H, gates, dGates } = buffers;
    const hs = buffers.states[0];
    const dhNext = buffers.dStates[0]; // (B, H) dL/dh_t arriving from step t+1
    const act = this.activation;
    const rec = this.recurrentActivation;
    const G = 3 * H;
    const prev = t * B * H; // slot t of hs (h_{t-1}); also step t of q
    const rg = buffers.recurrentGates; //   resetAfter only
    const dRG = buffers.dRecurrentGates; // resetAfter only
    for (let b = 0; b < B; b++) {
      const zi = t * B * G + b * G;
      const s = b * H;
      for (let j = 0; j < H; j++) {
        const z = gates[zi + j]; //          the step's gates, after activation
        const r = gates[zi + H + j];
        const hh = gates[zi + 2 * H + j];
        const hPrev = hs[prev + s + j];
        //                                                       differentiates:
        let dh = dhNext[s + j]; //                               z_{t+1} = … + h_t·U, h_{t+1} = z⊙h_t + …  (h_t feeds the next step)
        if (dy !== undefined) dh += dy[(b * T + t) * H + j]; //  y_t = h_t   (returnSequences)
        const dz = dh * (hPrev - hh); //                         h_t = z⊙h_{t-1} + (1-z)⊙hh   w.r.t. z
        const dhh = dh * (1 - z); //                             h_t = …                      w.r.t. hh
        dhNext[s + j] = dh * z; //                               h_t = …                      w.r.t. h_{t-1} (the loop adds the U path)
        const da = dhh * derivativeFromOutput(act, hh); //       hh = act(a)
        const dzz = dz * derivativeFromOutput(rec, z); //        z = σ(x_z + r_z)
        dGates[zi + j] = dzz;
        dGates[zi + 2 * H + j] = da; //                          a = x_h + …                  w.r.t. x_h
        if (rg !== undefined) {
          const dzr = da * rg[zi + 2 * H + j] * derivativeFromOutput(rec, r); // a = x_h + r⊙r_h w.r.t. r, then r = σ(x_r + r_r)
          dGates[zi + H + j] = dzr;
          dRG![zi + j] = dzz; //                                 z = σ(x_z + r_z)             w.r.t. r_z
          dRG![zi + H + j] = dzr; //                             r = σ(x_r + r_r)             w.r.t. r_r
          dRG![zi + 2 * H + j] = da * r; //                      a = x_h + r⊙r_h              w.r.t. r_h
        }
      }
    }
    if (rg !== undefined) return;
    // resetAfter false: dq = dz_h·U_hᵀ   ([B, H] × [H, H]; ∂ of z_h = … + q·U_h w.r.t. q) ...
    if (this.dq.length !== B * H) this.dq = allocate(this.dtype, B * H);
    const { dq, dzRef, uTRef, dqRef } = this;
    dzRef.data = dGates;
    dzRef.offset = t * B * G + 2 * H;
    dzRef.ld = G;
    uTRef.data = recurrentKernel;
    uTRef.offset = 2 * H;
    uTRef.ld = G;
    dqRef.data = dq;
    dqRef.ld = H;
    gemm(B, H, H, dzRef, uTRef, dqRef, false);
    // ... then q = r⊙h_{t-1} w.r.t. r and h_{t-1}.
    for (let b = 0; b < B; b++) {
      const zi = t * B * G + b * G;
      const s = b * H;
      for (let j = 0; j < H; j++) {
        const r = gates[zi + H + j];
        const d = dq[s + j];
        dGates[zi + H + j] = d * hs[prev + s + j] * derivativeFromOutput(rec, r); // dr = dq⊙h_{t-1}, then r = σ(z_r)
        dhNext[s + j] += d * r; //                                                   dh_{t-1} += dq⊙r
      }
    }
  }
}
