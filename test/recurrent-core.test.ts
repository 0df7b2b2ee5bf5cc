/**
 * The recurrent core (src/layers/recurrent/): what the sequence loop gives every cell.
 *   1. goBackwards is the reversed input (outputs in processed order, as Keras), masks and state included;
 *   2. a toy cell written here (a minimal RNN: h_t = tanh(z_t)) is one cell and one small layer
 *      class, and gets masking, carried state, returnSequences and goBackwards from the loop,
 *      checked by finite differences and against a plain per-step loop.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dense, LSTM, RNN, Sequential, Tensor, gradCheck, registerLayer, setSeed, tensor, type LayerConfig, type RNNOptions, type RecurrentCell, type RecurrentWeights, type SequenceBuffers } from '../src/index.js';
import { mulberry32 } from './helpers/random.js';

const bits = (t: Tensor): number[] => Array.from(t.data, (v) => v); // float64 values compared exactly

function randomTensor(shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const r = mulberry32(seed);
  return tensor(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape, dtype);
}

/** x [B, T, n] with its time axis reversed. */
function reverseTime(x: Tensor): Tensor {
  const [B, T, n] = x.shape as [number, number, number];
  const out = new Float64Array(x.size);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let k = 0; k < n; k++) out[(b * T + t) * n + k] = x.data[(b * T + (T - 1 - t)) * n + k];
  return tensor(out, x.shape, x.dtype);
}

describe('goBackwards', () => {
  it('equals the forward layer on the reversed input: outputs (in processed order), carried state, dx (reversed back), weight gradients, with masks and float32 kernels too', () => {
    fc.assert(fc.property(
      fc.record({ B: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 6 }), I: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 5 }), returnSequences: fc.boolean(), masked: fc.boolean(), float32: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) }),
      ({ B, T, I, H, returnSequences, masked, float32, seed }) => {
        const dtype = float32 ? 'float32' : 'float64';
        setSeed(seed);
        const options = { units: H, returnSequences, stateful: true, batchInputShape: [B, T, I], maskValue: masked ? 0 : null, dtype: dtype as 'float32' | 'float64' };
        const backwards = new LSTM({ ...options, goBackwards: true });
        const forwards = new LSTM(options);
        backwards.build([B, T, I]);
        forwards.build([B, T, I]);
        forwards.setWeights(backwards.getWeights());
        const x = randomTensor([B, T, I], seed, dtype);
        if (masked) x.data.fill(0, 0, Math.min(x.size, 2 * I)); // sample 0's first steps are padding (its last ones when reversed)
        const yBack = backwards.forward(x);
        const yFwd = forwards.forward(reverseTime(x));
        expect(bits(yBack)).toEqual(bits(yFwd));
        expect(backwards.getStates().map(bits)).toEqual(forwards.getStates().map(bits));
        const dy = randomTensor([...yBack.shape], seed + 1, dtype);
        const dxBack = backwards.backward(dy);
        const dxFwd = forwards.backward(dy);
        expect(bits(dxBack)).toEqual(bits(reverseTime(dxFwd)));
        expect(backwards.getGradients().map(bits)).toEqual(forwards.getGradients().map(bits));
      },
    ), { numRuns: 60, seed: 23 });
  });

  it('passes gradCheck in float64 with a mask and a carried state (worst relative error < 1e-6)', () => {
    setSeed(4);
    const layer = new LSTM({ units: 3, returnSequences: true, goBackwards: true, stateful: true, maskValue: 0, batchInputShape: [2, 4, 2], dtype: 'float64' });
    layer.build([2, 4, 2]);
    layer.resetStates([randomTensor([2, 3], 8), randomTensor([2, 3], 9)]);
    const x = randomTensor([2, 4, 2], 5);
    x.data.fill(0, 2, 4); // sample 0, step 1 masked
    const result = gradCheck({ layer, input: x });
    expect(result.maxRelativeError).toBeLessThan(1e-6);
    expect(result.entriesSkipped).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// A toy cell of our own: the minimal RNN, h_t = tanh(z_t), z_t = x_t·W + b + h_{t-1}·U
// ---------------------------------------------------------------------------------------------

/** The cell: one step forward and back (what a new cell file holds). */
class MinimalRNNCell implements RecurrentCell {
  readonly gateBlocks = 1;
  readonly stateNames = ['h'];
  readonly extraCount = 0;

  forwardStep({ B, H, gates, states }: SequenceBuffers, t: number): void {
    const hs = states[0];
    for (let r = 0; r < B * H; r++) {
      const h = Math.tanh(gates[t * B * H + r]); //  h_t = tanh(z_t)
      gates[t * B * H + r] = h; //                     kept for backward
      hs[(t + 1) * B * H + r] = h;
    }
  }

  backwardStep({ B, T, H, gates, dGates, dStates }: SequenceBuffers, t: number, dy: Float64Array | Float32Array | undefined): void {
    const dh = dStates[0];
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const r = b * H + j;
        let d = dh[r]; //                                 from z_{t+1} = … + h_t·U
        dh[r] = 0;
        if (dy !== undefined) d += dy[(b * T + t) * H + j]; // y_t = h_t
        const h = gates[t * B * H + r];
        dGates[t * B * H + r] = d * (1 - h * h); //      h_t = tanh(z_t)
      }
    }
  }
}

/** The layer: options, weights, config (what a new layer file holds beside its cell). */
class MinimalRNN extends RNN {
  protected readonly cell = new MinimalRNNCell();

  constructor(options: RNNOptions) {
    super(options, 'minimal_rnn', 'MinimalRNN');
  }

  protected drawWeights(I: number): RecurrentWeights {
    const H = this.units;
    const r = mulberry32(I * 31 + H);
    const draw = (n: number, shape: number[]): Tensor => tensor(Float64Array.from({ length: n }, () => (r() * 2 - 1) * 0.6), shape, this.dtype);
    return { kernel: draw(I * H, [I, H]), recurrentKernel: draw(H * H, [H, H]), bias: draw(H, [H]) };
  }

  getConfig(): LayerConfig {
    return { className: 'MinimalRNN', config: this.recurrentConfig() };
  }
}

// ... and its one registration (what the layer file ends with): save / load and summary find it.
registerLayer({ className: 'MinimalRNN', fromConfig: (config) => new MinimalRNN(config as unknown as RNNOptions) });

/** The same network as a plain loop, per sample and step (no masking: the samples are not padded). */
function plainRNN(x: Tensor, W: Tensor, U: Tensor, b: Tensor, h0: number[][]): number[][][] {
  const [B, T, I] = x.shape as [number, number, number];
  const H = b.size;
  return Array.from({ length: B }, (_, s) => {
    let h = [...h0[s]];
    const out: number[][] = [];
    for (let t = 0; t < T; t++) {
      h = Array.from({ length: H }, (_, j) => {
        let z = b.data[j];
        for (let p = 0; p < I; p++) z += x.data[(s * T + t) * I + p] * W.data[p * H + j];
        for (let q = 0; q < H; q++) z += h[q] * U.data[q * H + j];
        return Math.tanh(z);
      });
      out.push(h);
    }
    return out;
  });
}

describe('a toy cell through the sequence loop', () => {
  it('computes what a plain loop computes, carrying its state from batch to batch', () => {
    const layer = new MinimalRNN({ units: 3, returnSequences: true, stateful: true, batchInputShape: [2, 4, 2], dtype: 'float64' });
    const x1 = randomTensor([2, 4, 2], 1);
    const x2 = randomTensor([2, 4, 2], 2);
    layer.build([2, 4, 2]);
    const [W, U, b] = layer.getWeights();
    const y1 = layer.forward(x1).toArray() as number[][][];
    const y2 = layer.forward(x2).toArray() as number[][][];
    const expected1 = plainRNN(x1, W, U, b, [[0, 0, 0], [0, 0, 0]]);
    const expected2 = plainRNN(x2, W, U, b, expected1.map((steps) => steps[3]));
    for (const [got, want] of [[y1, expected1], [y2, expected2]] as const) {
      got.flat(2).forEach((v, k) => expect(v).toBeCloseTo(want.flat(2)[k], 12));
    }
    layer.resetStates();
    expect(layer.getStates()[0].toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('passes gradCheck with masking, a carried state, returnSequences and goBackwards (every weight and input entry)', () => {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        const layer = new MinimalRNN({ units: 3, returnSequences, goBackwards, stateful: true, maskValue: 0, batchInputShape: [2, 5, 2], dtype: 'float64' });
        layer.build([2, 5, 2]);
        layer.resetStates([randomTensor([2, 3], 3)]);
        const x = randomTensor([2, 5, 2], 4);
        x.data.fill(0, 0, 4); // sample 0: two steps of padding
        x.data.fill(0, 14, 16); // sample 1: step 2 masked
        const result = gradCheck({ layer, input: x });
        expect(result.maxRelativeError, `goBackwards ${goBackwards}, returnSequences ${returnSequences}`).toBeLessThan(1e-6);
        expect(result.entriesSkipped).toBe(6);
      }
    }
  });

  it('trains in a model, saves and loads through the registry (toJSON / fromJSON: same weights, same predictions), and summary counts its parameters', () => {
    setSeed(3);
    const model = new Sequential([new MinimalRNN({ units: 4, inputShape: [3, 2], maskValue: 0 }), new Dense({ units: 2, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = randomTensor([6, 3, 2], 9, 'float32');
    const y = tensor([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]);
    const { history } = model.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0 });
    expect(history.loss[4]).toBeLessThan(history.loss[0]);
    const loaded = Sequential.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(loaded.layers[0]).toBeInstanceOf(MinimalRNN);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    expect(model.summary(null)).toMatch(/\(MinimalRNN\)\s.*\b28\b/); // 2·4 + 4·4 + 4
  });

  it('is masked by the loop: pre-padding changes neither the output nor the gradients', () => {
    const padded = new MinimalRNN({ units: 4, maskValue: 0, dtype: 'float64' });
    const plain = new MinimalRNN({ units: 4, dtype: 'float64' });
    padded.build([null, null, 3]);
    plain.build([null, null, 3]);
    plain.setWeights(padded.getWeights());
    const x = randomTensor([1, 3, 3], 6);
    const xPadded = tensor([[[0, 0, 0], [0, 0, 0], ...(x.toArray() as number[][][])[0]]], undefined, 'float64');
    expect(bits(padded.forward(xPadded))).toEqual(bits(plain.forward(x)));
    const dy = randomTensor([1, 4], 7);
    padded.backward(dy);
    plain.backward(dy);
    expect(padded.getGradients().map(bits)).toEqual(plain.getGradients().map(bits));
    expect(padded.cellKernel).toBe('typescript'); // a cell without a fast path runs its own TypeScript steps
  });
});
