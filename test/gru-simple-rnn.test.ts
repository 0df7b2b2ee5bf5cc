/**
 * GRU (both of Keras' variants, resetAfter true and false) and SimpleRNN, the two cells added to
 * the recurrent core beside the LSTM's:
 *   1. against an independent plain per-sample, per-step reference written here from Keras 3's
 *      equations (keras/src/layers/rnn/gru.py, simple_rnn.py), with carried state, masks and
 *      goBackwards;
 *   2. gradCheck in float64 for every weight and the input (masks, carried state,
 *      returnSequences, goBackwards, with and without a bias), and the initial state's gradient
 *      by finite differences;
 *   3. padded + masked = unpadded, bit for bit (the loop's gathered weight-gradient rows include
 *      the GRU's own recurrent operand and its separate recurrent gates);
 *   4. finalStates(), the layer-level stand-in for Keras' return_state;
 *   5. config: the constructor takes getConfig()'s config and gives the same config back;
 *      parameter counts as Keras prints them.
 * Keras' own values: test/gru-keras-reference.test.ts; TF.js: test/gru-tfjs-agreement.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, SimpleRNN, Tensor, gradCheck, setSeed, tensor, type GRUOptions, type SimpleRNNOptions } from '../src/index.js';
import { mulberry32 } from './helpers/random.js';

const bits = (t: Tensor): number[] => Array.from(t.data, (v) => v);

function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  const r = mulberry32(seed);
  return tensor(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape, 'float64');
}

type Kind = 'gru' | 'gruResetBefore' | 'simpleRnn';
const KINDS: Kind[] = ['gru', 'gruResetBefore', 'simpleRnn'];

function makeLayer(kind: Kind, options: GRUOptions & SimpleRNNOptions): GRU | SimpleRNN {
  if (kind === 'simpleRnn') return new SimpleRNN(options);
  return new GRU({ ...options, resetAfter: kind === 'gru' });
}

/** Random weights (biases included, so every path of the bias is exercised), set on the built layer. */
function randomizeWeights(layer: GRU | SimpleRNN, seed: number): void {
  layer.setWeights(layer.getWeights().map((w, k) => randomTensor([...w.shape], seed + k, 0.8)));
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * The plain reference, per sample and step, straight from Keras 3's equations. Weights as Keras
 * stores them: W [I, G], U [H, G], bias [G] or (GRU resetAfter) [2, G]. Returns every output
 * (in processed order) and the final h of each sample.
 */
function reference(kind: Kind, x: Tensor, weights: Tensor[], h0: number[][], options: { maskValue?: number | null; goBackwards?: boolean; useBias?: boolean }): { ys: number[][][]; hT: number[][] } {
  const [B, T, I] = x.shape as [number, number, number];
  const [W, U] = weights;
  const bias = options.useBias === false ? undefined : weights[2];
  const H = U.shape[0];
  const G = U.shape[1];
  const at = (s: number, t: number, p: number): number => x.data[(s * T + t) * I + p];
  const dotX = (s: number, t: number, col: number): number => {
    let v = 0;
    for (let p = 0; p < I; p++) v += at(s, t, p) * W.data[p * G + col];
    return v;
  };
  const dotH = (h: number[], col: number): number => {
    let v = 0;
    for (let q = 0; q < H; q++) v += h[q] * U.data[q * G + col];
    return v;
  };
  const b = (row: number, col: number): number => (bias === undefined ? 0 : bias.shape.length === 2 ? bias.data[row * G + col] : row === 0 ? bias.data[col] : 0);
  const ys: number[][][] = [];
  const hT: number[][] = [];
  for (let s = 0; s < B; s++) {
    let h = [...h0[s]];
    const out: number[][] = [];
    for (let k = 0; k < T; k++) {
      const t = options.goBackwards === true ? T - 1 - k : k;
      const masked = options.maskValue != null && Array.from({ length: I }, (_, p) => at(s, t, p)).every((v) => v === options.maskValue);
      if (!masked) {
        if (kind === 'simpleRnn') {
          h = Array.from({ length: H }, (_, j) => Math.tanh(dotX(s, t, j) + b(0, j) + dotH(h, j)));
        } else {
          const z = Array.from({ length: H }, (_, j) => sigmoid(dotX(s, t, j) + b(0, j) + dotH(h, j) + b(1, j)));
          const r = Array.from({ length: H }, (_, j) => sigmoid(dotX(s, t, H + j) + b(0, H + j) + dotH(h, H + j) + b(1, H + j)));
          const rh = h.map((v, q) => r[q] * v);
          const hh = Array.from({ length: H }, (_, j) =>
            Math.tanh(dotX(s, t, 2 * H + j) + b(0, 2 * H + j) + (kind === 'gru' ? r[j] * (dotH(h, 2 * H + j) + b(1, 2 * H + j)) : dotH(rh, 2 * H + j))));
          h = h.map((v, j) => z[j] * v + (1 - z[j]) * hh[j]);
        }
      }
      out.push(h);
    }
    ys.push(out);
    hT.push(h);
  }
  return { ys, hT };
}

function expectClose(got: ArrayLike<number>, want: number[], tol: number, label: string): void {
  expect(got.length, label).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, label).toBeLessThan(tol);
}

describe('GRU and SimpleRNN against a plain per-step reference (float64)', () => {
  for (const kind of KINDS) {
    for (const goBackwards of [false, true]) {
      it(`${kind}${goBackwards ? ', goBackwards' : ''}: outputs over two stateful batches with masked steps, and the carried state`, () => {
        const B = 3, T = 5, I = 2, H = 4;
        setSeed(1);
        const layer = makeLayer(kind, { units: H, returnSequences: true, stateful: true, maskValue: 0, goBackwards, batchInputShape: [B, T, I], dtype: 'float64' });
        layer.build([B, T, I]);
        randomizeWeights(layer, 10);
        const weights = layer.getWeights();
        const x1 = randomTensor([B, T, I], 1);
        x1.data.fill(0, 0, 2 * I); //                 sample 0: two steps of pre-padding
        x1.data.fill(0, (T + 2) * I, (T + 3) * I); // sample 1: step 2 masked
        const x2 = randomTensor([B, T, I], 2);
        const h0 = [[0.3, -0.2, 0.1, 0.5], [0, 0, 0, 0], [-0.4, 0.2, 0.6, -0.1]];
        layer.resetStates([tensor(h0, undefined, 'float64')]);
        const y1 = layer.forward(x1);
        const ref1 = reference(kind, x1, weights, h0, { maskValue: 0, goBackwards });
        expectClose(y1.data, ref1.ys.flat(2), 1e-13, 'batch 1');
        const y2 = layer.forward(x2);
        const ref2 = reference(kind, x2, weights, ref1.hT, { maskValue: 0, goBackwards });
        expectClose(y2.data, ref2.ys.flat(2), 1e-13, 'batch 2 (from the carried state)');
        expectClose(layer.getStates()[0].data, ref2.hT.flat(), 1e-13, 'carried state');
      });
    }
    it(`${kind}: without a bias, last output only`, () => {
      setSeed(2);
      const layer = makeLayer(kind, { units: 3, useBias: false, dtype: 'float64' });
      layer.build([null, null, 4]);
      expect(layer.getWeights()).toHaveLength(2);
      randomizeWeights(layer, 20);
      const x = randomTensor([2, 6, 4], 3);
      const ref = reference(kind, x, layer.getWeights(), [[0, 0, 0], [0, 0, 0]], { useBias: false });
      expectClose(layer.forward(x).data, ref.hT.flat(), 1e-13, 'h_T');
    });
  }

  it('the reference tells the two GRUs apart (so the comparisons above could fail)', () => {
    setSeed(3);
    const layer = new GRU({ units: 3, dtype: 'float64' });
    layer.build([null, null, 2]);
    randomizeWeights(layer, 30);
    const x = randomTensor([1, 4, 2], 4);
    const y = layer.forward(x).data;
    const before = reference('gruResetBefore', x, layer.getWeights(), [[0, 0, 0]], {}).hT.flat();
    // The bias [2, 3H] read as resetAfter false reads only row 0; the outputs differ well beyond 1e-13.
    expect(Math.max(...before.map((v, i) => Math.abs(v - y[i])))).toBeGreaterThan(1e-3);
  });
});

describe('gradCheck (float64, every weight and the input, worst relative error < 1e-6)', () => {
  for (const kind of KINDS) {
    it(`${kind}: masks, carried state, returnSequences either way, goBackwards either way`, () => {
      for (const goBackwards of [false, true]) {
        for (const returnSequences of [false, true]) {
          setSeed(5);
          const layer = makeLayer(kind, { units: 3, returnSequences, goBackwards, stateful: true, maskValue: 0, batchInputShape: [2, 5, 2], dtype: 'float64' });
          layer.build([2, 5, 2]);
          randomizeWeights(layer, 40);
          layer.resetStates([randomTensor([2, 3], 41)]);
          const x = randomTensor([2, 5, 2], 42);
          x.data.fill(0, 0, 4); //   sample 0: two steps of padding
          x.data.fill(0, 14, 16); // sample 1: step 2 masked
          const result = gradCheck({ layer, input: x });
          expect(result.maxRelativeError, `${kind}, goBackwards ${goBackwards}, returnSequences ${returnSequences}`).toBeLessThan(1e-6);
          expect(result.entriesSkipped).toBe(6); // the masked steps' input entries
        }
      }
    });
    it(`${kind}: without a bias, longer sequence, larger weights`, () => {
      setSeed(6);
      const layer = makeLayer(kind, { units: 4, useBias: false, returnSequences: true, dtype: 'float64' });
      layer.build([null, null, 3]);
      layer.setWeights(layer.getWeights().map((w, k) => randomTensor([...w.shape], 50 + k, 1.5)));
      const result = gradCheck({ layer, input: randomTensor([3, 7, 3], 51) });
      expect(result.maxRelativeError).toBeLessThan(1e-6);
    });
    it(`${kind}: dL/dh0 (getInitialStateGradients) by central differences`, () => {
      setSeed(7);
      const B = 2, T = 4, I = 2, H = 3;
      const layer = makeLayer(kind, { units: H, returnSequences: true, stateful: true, batchInputShape: [B, T, I], dtype: 'float64' });
      layer.build([B, T, I]);
      randomizeWeights(layer, 60);
      const h0 = randomTensor([B, H], 61);
      const x = randomTensor([B, T, I], 62);
      const dy = randomTensor([B, T, H], 63);
      const objective = (h: Tensor): number => {
        layer.resetStates([h]);
        const y = layer.forward(x).data;
        let sum = 0;
        for (let i = 0; i < y.length; i++) sum += y[i] * dy.data[i];
        return sum;
      };
      objective(h0);
      layer.backward(dy);
      const analytic = layer.getInitialStateGradients()[0].data;
      const eps = 1e-6;
      for (let i = 0; i < B * H; i++) {
        const plus = h0.clone();
        const minus = h0.clone();
        plus.data[i] += eps;
        minus.data[i] -= eps;
        const numeric = (objective(plus) - objective(minus)) / (2 * eps);
        expect(Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]))).toBeLessThan(1e-7);
      }
    });
  }
});

describe('padded + masked = unpadded, bit for bit', () => {
  for (const kind of KINDS) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${kind}, ${dtype}: outputs and every weight gradient`, () => {
        setSeed(8);
        const padded = makeLayer(kind, { units: 4, maskValue: 0, dtype });
        const plain = makeLayer(kind, { units: 4, dtype });
        padded.build([null, null, 3]);
        plain.build([null, null, 3]);
        randomizeWeights(padded, 70);
        plain.setWeights(padded.getWeights());
        const x = randomTensor([1, 3, 3], 71);
        const xPadded = tensor([[[0, 0, 0], [0, 0, 0], ...(x.toArray() as number[][][])[0]]], undefined, dtype);
        expect(bits(padded.forward(xPadded))).toEqual(bits(plain.forward(tensor(x.data, x.shape, dtype))));
        const dy = randomTensor([1, 4], 72);
        padded.backward(dy);
        plain.backward(dy);
        expect(padded.getGradients().map(bits)).toEqual(plain.getGradients().map(bits));
        expect(padded.cellKernel).toBe('typescript');
      });
    }
  }
});

describe('finalStates (what Keras return_state=True returns beside the output)', () => {
  for (const kind of KINDS) {
    it(`${kind}: the final h of each sample, after its last unmasked step, with returnSequences and goBackwards`, () => {
      setSeed(10);
      const layer = makeLayer(kind, { units: 3, returnSequences: true, goBackwards: true, maskValue: 0, dtype: 'float64' });
      layer.build([null, null, 2]);
      randomizeWeights(layer, 80);
      const x = randomTensor([2, 4, 2], 81);
      x.data.fill(0, 0, 2); // sample 0, step 0 masked: processed last (goBackwards), so its state stays
      layer.forward(x);
      const want = reference(kind, x, layer.getWeights(), [[0, 0, 0], [0, 0, 0]], { maskValue: 0, goBackwards: true }).hT.flat();
      const states = layer.finalStates();
      expect(states).toHaveLength(1);
      expect(states[0].shape).toEqual([2, 3]);
      expectClose(states[0].data, want, 1e-13, 'h_T');
    });
  }
  it('LSTM: [h_T, c_T]; h_T is the output without returnSequences; a copy, and an error before any forward', () => {
    setSeed(11);
    const lstm = new LSTM({ units: 3 });
    expect(() => lstm.finalStates()).toThrow(/finalStates: no forward pass yet/);
    const x = randomTensor([2, 4, 5], 82);
    const y = lstm.forward(tensor(x.data, x.shape, 'float32'));
    const [h, c] = lstm.finalStates();
    expect(bits(h)).toEqual(bits(y));
    expect(c.shape).toEqual([2, 3]);
    expect(bits(c)).not.toEqual(bits(h));
    h.data[0] = 42;
    expect(lstm.finalStates()[0].data[0]).not.toBe(42);
  });
});

describe('options, weights and config', () => {
  it('weight shapes and parameter counts as Keras: GRU 3·(H·(I+H) + H) (+3H with resetAfter), SimpleRNN H·(I+H) + H', () => {
    const gru = new GRU({ units: 5 });
    gru.build([null, null, 3]);
    expect(gru.getWeights().map((w) => w.shape)).toEqual([[3, 15], [5, 15], [2, 15]]);
    expect(gru.countParams()).toBe(3 * (5 * 8 + 5) + 15); // Keras 3: GRU(5) on 3 features, 150
    const before = new GRU({ units: 5, resetAfter: false });
    before.build([null, null, 3]);
    expect(before.getWeights().map((w) => w.shape)).toEqual([[3, 15], [5, 15], [15]]);
    expect(before.countParams()).toBe(135);
    const rnn = new SimpleRNN({ units: 5 });
    rnn.build([null, null, 3]);
    expect(rnn.getWeights().map((w) => w.shape)).toEqual([[3, 5], [5, 5], [5]]);
    expect(rnn.countParams()).toBe(45);
    expect(gru.weightNames).toEqual(['kernel', 'recurrent_kernel', 'bias']);
  });

  it('defaults as Keras 3: glorot-uniform kernel, orthogonal recurrent kernel (U·Uᵀ = I), zero bias, resetAfter true', () => {
    setSeed(9);
    const gru = new GRU({ units: 4, dtype: 'float64' });
    gru.build([null, null, 6]);
    const [W, U, b] = gru.getWeights();
    const limit = Math.sqrt(6 / (6 + 12));
    expect(Math.max(...Array.from(W.data, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...Array.from(W.data, Math.abs))).toBeGreaterThan(limit * 0.8);
    for (let i = 0; i < 4; i++) {
      for (let k = 0; k < 4; k++) {
        let dot = 0;
        for (let j = 0; j < 12; j++) dot += U.data[i * 12 + j] * U.data[k * 12 + j];
        expect(dot).toBeCloseTo(i === k ? 1 : 0, 10);
      }
    }
    expect(Array.from(b.data)).toEqual(new Array(24).fill(0));
    expect(gru.resetAfter).toBe(true);
    expect(gru.activation).toBe('tanh');
    expect(gru.recurrentActivation).toBe('sigmoid');
  });

  it('the constructor takes getConfig().config and gives the same config back', () => {
    const gru = new GRU({ units: 3, resetAfter: false, recurrentActivation: 'hard_sigmoid', activation: 'relu', useBias: false, kernelInitializer: 'glorot_normal', returnSequences: true, goBackwards: true, maskValue: 0, stateful: true, batchInputShape: [2, 4, 3], name: 'g1', dtype: 'float64' });
    const config = gru.getConfig();
    expect(config.className).toBe('GRU');
    expect(config.config).toMatchObject({ resetAfter: false, recurrentActivation: 'hardSigmoid', activation: 'relu', useBias: false, kernelInitializer: 'glorotNormal', recurrentInitializer: 'orthogonal', biasInitializer: 'zeros' });
    expect(new GRU(config.config as unknown as GRUOptions).getConfig()).toEqual(config);
    const rnn = new SimpleRNN({ units: 2, activation: 'linear', name: 's1' });
    const rnnConfig = rnn.getConfig();
    expect(rnnConfig.className).toBe('SimpleRNN');
    expect(new SimpleRNN(rnnConfig.config as unknown as SimpleRNNOptions).getConfig()).toEqual(rnnConfig);
  });

  it('refuses unknown options and bad values, naming them', () => {
    expect(() => new GRU({ units: 3, resetafter: true } as never)).toThrow(/resetafter/);
    expect(() => new GRU({ units: 3, resetAfter: 1 } as never)).toThrow(/resetAfter/);
    expect(() => new GRU({ units: 3, recurrentActivation: 'softmax' } as never)).toThrow(/recurrentActivation/);
    expect(() => new SimpleRNN({ units: 3, recurrentActivation: 'sigmoid' } as never)).toThrow(/recurrentActivation/);
    expect(() => new SimpleRNN({ units: 0 })).toThrow(/units/);
    expect(() => new GRU({ units: 2, biasInitializer: 'orthogonal' })).toThrow(/biasInitializer/);
    const gru = new GRU({ units: 2 });
    gru.build([null, null, 3]);
    expect(() => gru.setWeights([gru.getWeights()[0], gru.getWeights()[1], tensor(new Float32Array(6), [6])])).toThrow(/bias|shape/);
  });
});
