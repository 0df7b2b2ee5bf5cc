/**
 * Inspection of a recurrent layer (RNN.recordTraces, getTrace): what each step of a forward and
 * a backward did, as learners and the BPTT page read it.
 *   - gates and states per step, against an independent plain LSTM (examples/reference-lstm.ts);
 *   - what flows back into each step: dL/dh_t is dy at the last step, and dz_{t+1}·Uᵀ + dy_t before it;
 *   - each step's share of the weight gradients sums to getGradients() (float64, 1e-12), for the
 *     LSTM, GRU (both forms) and SimpleRNN, masked and stateful;
 *   - recording changes no bit of what the layer computes, and a model's training step records too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dense, GRU, LSTM, Sequential, SimpleRNN, Tensor, setSeed, tensor, type RNN } from '../src/index.js';
import { reference } from '../examples/reference-lstm.js';
import { randomTensor } from './model-helpers.js';

const nested = (t: Tensor): number[][][] => t.toArray() as number[][][];

describe('recorded traces', () => {
  it('the forward: every step\'s gates and states are those of the independent reference', () => {
    setSeed(3);
    const layer = new LSTM({ units: 3, returnSequences: true, dtype: 'float64' });
    layer.recordTraces = true;
    const x = randomTensor([2, 4, 2], 5);
    layer.forward(x);
    const [W, U, b] = layer.getWeights();
    const rows = (t: Tensor, cols: number) => Array.from({ length: t.size / cols }, (_, r) => Array.from(t.data.subarray(r * cols, (r + 1) * cols)));
    const ref = reference({ W: rows(W, 12), U: rows(U, 12), b: Array.from(b.data), act: 'tanh', rec: 'sigmoid', returnSequences: true }, nested(x), new Float64Array(2 * 4 * 3));
    const trace = layer.getTrace();
    expect(trace.stateNames).toEqual(['h', 'c']);
    expect(trace.gates.shape).toEqual([2, 4, 12]);
    expect(trace.states.map((s) => s.shape)).toEqual([[2, 5, 3], [2, 5, 3]]);
    // h at steps 1..T of the trace are the outputs; step 0 is the initial (zero) state
    const h = nested(trace.states[0]);
    ref.y.forEach((v, k) => expect(h[Math.floor(k / 12)][1 + Math.floor((k % 12) / 3)][k % 3]).toBeCloseTo(v, 12));
    expect(h.map((sample) => sample[0])).toEqual([[0, 0, 0], [0, 0, 0]]);
    // gates: i, f, o after the sigmoid from the reference's pre-activations (gatePre: z_i, z_f, z_o per unit and step)
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const gates = nested(trace.gates);
    let k = 0;
    for (let s = 0; s < 2; s++) for (let t = 0; t < 4; t++) for (let j = 0; j < 3; j++) {
      expect(gates[s][t][j]).toBeCloseTo(sig(ref.gatePre[k++]), 12);
      expect(gates[s][t][3 + j]).toBeCloseTo(sig(ref.gatePre[k++]), 12);
      expect(gates[s][t][9 + j]).toBeCloseTo(sig(ref.gatePre[k++]), 12);
    }
  });

  it('the backward: dL/dh_T is dy (last output only), and dL/dh_t = dz_{t+1}·Uᵀ before it; the norms are theirs', () => {
    setSeed(4);
    const layer = new LSTM({ units: 3, dtype: 'float64' });
    layer.recordTraces = true;
    const x = randomTensor([2, 5, 2], 6);
    layer.forward(x);
    const dy = randomTensor([2, 3], 7);
    layer.backward(dy);
    const trace = layer.getTrace();
    const dh = nested(trace.stateGradients![0]);
    expect(dh.map((sample) => sample[4])).toEqual(dy.toArray());
    // dz_{t+1} from the step's share of db (Σ_b dz) is not per sample; check the recursion through the trace's gates instead:
    // dL/dh_{t} = dL/dz_{t+1}·Uᵀ with dz from the cell's backward (reconstructed here from the trace, as a learner would).
    const [, U] = layer.getWeights();
    const gates = nested(trace.gates);
    const c = nested(trace.states[1]);
    const dc = nested(trace.stateGradients![1]);
    for (let s = 0; s < 2; s++) {
      for (let t = 3; t >= 0; t--) {
        const next = t + 1;
        const dz: number[] = new Array(12).fill(0);
        for (let j = 0; j < 3; j++) {
          const [i, f, g, o] = [gates[s][next][j], gates[s][next][3 + j], gates[s][next][6 + j], gates[s][next][9 + j]];
          const a = Math.tanh(c[s][next + 1][j]);
          const dhj = dh[s][next][j];
          const dcj = dc[s][next][j] + dhj * o * (1 - a * a);
          dz[j] = dcj * g * i * (1 - i);
          dz[3 + j] = dcj * c[s][next][j] * f * (1 - f);
          dz[6 + j] = dcj * i * (1 - g * g);
          dz[9 + j] = dhj * a * o * (1 - o);
        }
        for (let q = 0; q < 3; q++) {
          let sum = 0;
          for (let k = 0; k < 12; k++) sum += dz[k] * U.data[q * 12 + k];
          expect(dh[s][t][q]).toBeCloseTo(sum, 12);
        }
      }
    }
    trace.gradientNorms!.forEach((norm, t) => expect(norm).toBeCloseTo(Math.hypot(...dh.flatMap((sample) => sample[t])), 12));
  });

  it('each step\'s share of the weight gradients sums to getGradients() to 1e-12 (LSTM, GRU both forms, SimpleRNN; masks, state, goBackwards)', () => {
    const makers: Record<string, (o: { returnSequences: boolean; goBackwards: boolean }) => RNN> = {
      LSTM: (o) => new LSTM({ units: 3, maskValue: 0, stateful: true, batchInputShape: [2, 5, 2], dtype: 'float64', ...o }),
      GRU: (o) => new GRU({ units: 3, maskValue: 0, stateful: true, batchInputShape: [2, 5, 2], dtype: 'float64', ...o }),
      'GRU resetAfter false': (o) => new GRU({ units: 3, resetAfter: false, maskValue: 0, stateful: true, batchInputShape: [2, 5, 2], dtype: 'float64', ...o }),
      SimpleRNN: (o) => new SimpleRNN({ units: 3, maskValue: 0, stateful: true, batchInputShape: [2, 5, 2], dtype: 'float64', ...o }),
    };
    fc.assert(fc.property(fc.constantFrom(...Object.keys(makers)), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (kind, returnSequences, goBackwards, seed) => {
      setSeed(seed);
      const layer = makers[kind]({ returnSequences, goBackwards });
      layer.build([2, 5, 2]);
      layer.recordTraces = true;
      layer.forward(randomTensor([2, 5, 2], seed)); // a carried state for the second batch
      const x = randomTensor([2, 5, 2], seed + 1);
      x.data.fill(0, 2, 6); // sample 0, steps 1 and 2 masked
      const y = layer.forward(x);
      layer.backward(randomTensor([...y.shape], seed + 2));
      const shares = layer.getTrace().stepGradients!;
      expect(shares.length).toBe(5);
      layer.getGradients().forEach((total, w) => {
        const summed = new Float64Array(total.size);
        for (const step of shares) step[w].data.forEach((v, k) => (summed[k] += v));
        const scale = Math.max(1, ...Array.from(total.data, Math.abs));
        summed.forEach((v, k) => expect(Math.abs(v - total.data[k]) / scale, `${kind} weight ${w}`).toBeLessThan(1e-12));
      });
    }), { numRuns: 40, seed: 91 });
  });

  it('recording changes no bit of the outputs and gradients (float32: the WebAssembly kernel steps aside), and a model\'s step records it', () => {
    setSeed(8);
    const plain = new LSTM({ units: 4, inputShape: [3, 2] });
    const recorded = new LSTM({ units: 4, inputShape: [3, 2] });
    plain.build([1, 3, 2]);
    recorded.build([1, 3, 2]);
    recorded.setWeights(plain.getWeights());
    recorded.recordTraces = true;
    const x = randomTensor([1, 3, 2], 9, 'float32');
    expect(Array.from(recorded.forward(x).data)).toEqual(Array.from(plain.forward(x).data));
    const dy = randomTensor([1, 4], 10, 'float32');
    expect(Array.from(recorded.backward(dy).data)).toEqual(Array.from(plain.backward(dy).data));
    expect(recorded.getGradients().map((g) => Array.from(g.data))).toEqual(plain.getGradients().map((g) => Array.from(g.data)));

    const model = new Sequential([recorded, new Dense({ units: 2, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    model.trainOnBatch(x, tensor([[1, 0]]));
    expect(recorded.getTrace().stepGradients).toHaveLength(3);
    expect(() => new LSTM({ units: 2 }).getTrace()).toThrow(/getTrace: nothing recorded; set recordTraces = true/);
  });
});
