/**
 * A learner's LSTM, forward and full backpropagation through time, in about a hundred lines:
 * per sample, per step, float64, plain nested arrays, no matrix library and no code shared with
 * src/. It is the oracle test/lstm.test.ts checks the library's LSTM against (outputs, dL/dx,
 * every weight gradient and dL/d(h0, c0) to 1e-12), and what docs/bptt.md points a reader to
 * before the fast version in src/layers/recurrent/.
 *
 * The equations, for each step t of a sample (x_t [I], h and c [H]; W [I][4H], U [H][4H], b [4H],
 * the gate blocks in Keras' order i, f, c, o):
 *
 *   z = x_t·W + h_{t-1}·U + b;   i = σ(z_i), f = σ(z_f), g = act(z_c), o = σ(z_o)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g;   h_t = o ⊙ act(c_t)
 *
 * Derivatives are taken from the pre-activations z here (src takes them from the outputs), so
 * the two compute each gradient in a different way.
 */

// ---------------------------------------------------------------------------------------------

/** The cell activation act, and the gate activation σ (hard sigmoids: Keras 2's clip(0.2·z + 0.5, 0, 1), Keras 3's clip((z + 3) / 6, 0, 1)). */
export type Act = 'tanh' | 'relu' | 'linear';
export type Rec = 'sigmoid' | 'hardSigmoid' | 'hardSigmoidKeras3';

export interface RefModel {
  W: number[][]; // [I][4H]
  U: number[][]; // [H][4H]
  b: number[] | null; // [4H]
  act: Act;
  rec: Rec;
  returnSequences: boolean;
}

export interface RefResult {
  y: number[]; // flattened [B, H] or [B, T, H]
  dx: number[]; // flattened [B, T, I]
  dW: number[][];
  dU: number[][];
  db: number[];
  dh0: number[][];
  dc0: number[][];
  /** Every pre-activation seen: [gate z_i, z_f, z_o], [cell z_c and c_t]. */
  gatePre: number[];
  cellPre: number[];
}

function refGate(kind: Rec, z: number): number {
  if (kind === 'hardSigmoidKeras3') return Math.min(1, Math.max(0, (z + 3) / 6));
  return kind === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : Math.min(1, Math.max(0, 0.2 * z + 0.5));
}
function refGateDerivative(kind: Rec, z: number): number {
  if (kind === 'sigmoid') {
    const s = 1 / (1 + Math.exp(-z));
    return s * (1 - s);
  }
  if (kind === 'hardSigmoidKeras3') return z > -3 && z < 3 ? 1 / 6 : 0;
  return z > -2.5 && z < 2.5 ? 0.2 : 0;
}
function refAct(kind: Act, z: number): number {
  return kind === 'tanh' ? Math.tanh(z) : kind === 'relu' ? Math.max(0, z) : z;
}
function refActDerivative(kind: Act, z: number): number {
  if (kind === 'tanh') return 1 - Math.tanh(z) ** 2;
  if (kind === 'relu') return z > 0 ? 1 : 0;
  return 1;
}
function zerosMatrix(rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(new Array<number>(cols).fill(0));
  return out;
}

/** Forward and full BPTT for x [B][T][I], dy flattened like y, optional initial states [B][H]. */
export function reference(m: RefModel, x: number[][][], dyFlat: ArrayLike<number>, h0?: number[][], c0?: number[][]): RefResult {
  const B = x.length;
  const T = x[0].length;
  const I = m.W.length;
  const H = m.U.length;
  const y: number[] = [];
  const dx: number[] = new Array<number>(B * T * I).fill(0);
  const dW = zerosMatrix(I, 4 * H);
  const dU = zerosMatrix(H, 4 * H);
  const db = new Array<number>(4 * H).fill(0);
  const dh0: number[][] = [];
  const dc0: number[][] = [];
  const gatePre: number[] = [];
  const cellPre: number[] = [];
  const ys: number[][][] = []; // [B][T][H]

  for (let s = 0; s < B; s++) {
    // Forward for sample s.
    let h = h0 ? [...h0[s]] : new Array<number>(H).fill(0);
    let c = c0 ? [...c0[s]] : new Array<number>(H).fill(0);
    const steps: { z: number[]; i: number[]; f: number[]; g: number[]; o: number[]; hPrev: number[]; cPrev: number[]; c: number[] }[] = [];
    const hsOut: number[][] = [];
    for (let t = 0; t < T; t++) {
      const z: number[] = [];
      for (let k = 0; k < 4 * H; k++) {
        let sum = m.b ? m.b[k] : 0;
        for (let p = 0; p < I; p++) sum += x[s][t][p] * m.W[p][k];
        for (let q = 0; q < H; q++) sum += h[q] * m.U[q][k];
        z.push(sum);
      }
      const i: number[] = [], f: number[] = [], g: number[] = [], o: number[] = [], cNew: number[] = [], hNew: number[] = [];
      for (let j = 0; j < H; j++) {
        i.push(refGate(m.rec, z[j]));
        f.push(refGate(m.rec, z[H + j]));
        g.push(refAct(m.act, z[2 * H + j]));
        o.push(refGate(m.rec, z[3 * H + j]));
        cNew.push(f[j] * c[j] + i[j] * g[j]);
        hNew.push(o[j] * refAct(m.act, cNew[j]));
        gatePre.push(z[j], z[H + j], z[3 * H + j]);
        cellPre.push(z[2 * H + j], cNew[j]);
      }
      steps.push({ z, i, f, g, o, hPrev: h, cPrev: c, c: cNew });
      h = hNew;
      c = cNew;
      hsOut.push(hNew);
    }
    ys.push(hsOut);

    // Backward for sample s.
    let dhNext = new Array<number>(H).fill(0);
    let dcNext = new Array<number>(H).fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const st = steps[t];
      const dz = new Array<number>(4 * H).fill(0);
      const dcPrev = new Array<number>(H).fill(0);
      for (let j = 0; j < H; j++) {
        let dh = dhNext[j];
        if (m.returnSequences) dh += dyFlat[(s * T + t) * H + j];
        else if (t === T - 1) dh += dyFlat[s * H + j];
        const dOut = dh * refAct(m.act, st.c[j]);
        const dc = dcNext[j] + dh * st.o[j] * refActDerivative(m.act, st.c[j]);
        dz[j] = dc * st.g[j] * refGateDerivative(m.rec, st.z[j]);
        dz[H + j] = dc * st.cPrev[j] * refGateDerivative(m.rec, st.z[H + j]);
        dz[2 * H + j] = dc * st.i[j] * refActDerivative(m.act, st.z[2 * H + j]);
        dz[3 * H + j] = dOut * refGateDerivative(m.rec, st.z[3 * H + j]);
        dcPrev[j] = dc * st.f[j];
      }
      for (let k = 0; k < 4 * H; k++) {
        for (let p = 0; p < I; p++) dW[p][k] += x[s][t][p] * dz[k];
        for (let q = 0; q < H; q++) dU[q][k] += st.hPrev[q] * dz[k];
        db[k] += dz[k];
      }
      for (let p = 0; p < I; p++) {
        let sum = 0;
        for (let k = 0; k < 4 * H; k++) sum += m.W[p][k] * dz[k];
        dx[(s * T + t) * I + p] = sum;
      }
      const dhPrev = new Array<number>(H).fill(0);
      for (let q = 0; q < H; q++) for (let k = 0; k < 4 * H; k++) dhPrev[q] += m.U[q][k] * dz[k];
      dhNext = dhPrev;
      dcNext = dcPrev;
    }
    dh0.push(dhNext);
    dc0.push(dcNext);
  }
  for (let s = 0; s < B; s++) {
    if (m.returnSequences) for (let t = 0; t < T; t++) y.push(...ys[s][t]);
    else y.push(...ys[s][T - 1]);
  }
  return { y, dx, dW, dU, db, dh0, dc0, gatePre, cellPre };
}
