/**
 * The recurrent layers' input `dropout` (Keras semantics): only while training; one mask per
 * sample and feature, held for every time step; the kept inputs scaled by 1 / (1 − rate); drawn
 * from setSeed's stream. Checked: inference is the layer without dropout, bit for bit; a training
 * forward is the layer without dropout on x ⊙ s for the mask the stream gives; gradCheck with the
 * mask held fixed; the rate crosses the TF.js format and is refused out of [0, 1).
 */
import { describe, expect, it } from 'vitest';
import { Dense, GRU, LSTM, Sequential, SimpleRNN, fromTfjsArtifacts, gradCheck, setSeed, tensor, toTfjsArtifacts, type RNN, type RNNOptions, type Tensor } from '../src/index.js';
import { randomUniform } from '../src/tensor/random.js';
import { randomTensor } from './model-helpers.js';

const kinds: Record<string, (o: RNNOptions) => RNN> = { LSTM: (o) => new LSTM(o), GRU: (o) => new GRU(o), SimpleRNN: (o) => new SimpleRNN(o) };

describe('recurrent input dropout', () => {
  for (const [kind, make] of Object.entries(kinds)) {
    it(`${kind}: inference is the layer without dropout; training is it on x ⊙ s, s one draw per sample and feature held over the steps`, () => {
      setSeed(1);
      const dropped = make({ units: 3, dropout: 0.4, returnSequences: true, dtype: 'float64' });
      const plain = make({ units: 3, returnSequences: true, dtype: 'float64' });
      dropped.build([2, 4, 5]);
      plain.build([2, 4, 5]);
      plain.setWeights(dropped.getWeights());
      const x = randomTensor([2, 4, 5], 3);
      expect(Array.from(dropped.forward(x).data)).toEqual(Array.from(plain.forward(x).data));
      setSeed(9);
      const scale = Array.from({ length: 2 * 5 }, () => (randomUniform() < 0.4 ? 0 : 1 / 0.6));
      setSeed(9);
      const y = dropped.forward(x, { training: true });
      const masked = tensor(Array.from(x.data, (v, i) => v * scale[Math.floor(i / 20) * 5 + (i % 5)]), [2, 4, 5], 'float64');
      expect(Array.from(y.data)).toEqual(Array.from(plain.forward(masked).data));
      expect(scale.some((s) => s === 0) && scale.some((s) => s > 0)).toBe(true);
    });
  }

  it('passes gradCheck with the mask held fixed (every weight and input entry; dropped inputs get dx = 0)', () => {
    class FixedMaskLSTM extends LSTM {
      override forward(x: Tensor, options?: { training?: boolean }): Tensor {
        setSeed(5); // the same mask at every forward the check makes
        return super.forward(x, options);
      }
    }
    setSeed(2);
    const layer = new FixedMaskLSTM({ units: 3, dropout: 0.3, dtype: 'float64' });
    layer.build([2, 4, 3]);
    const x = randomTensor([2, 4, 3], 7);
    expect(gradCheck({ layer, input: x }).maxRelativeError).toBeLessThan(1e-6);
    const dx = layer.backward(randomTensor([2, 3], 8));
    setSeed(5);
    const dropped = Array.from({ length: 6 }, () => randomUniform() < 0.3);
    for (let b = 0; b < 2; b++) for (let t = 0; t < 4; t++) for (let k = 0; k < 3; k++) if (dropped[b * 3 + k]) expect(dx.data[(b * 4 + t) * 3 + k]).toBe(0);
  });

  it('trains in a model, predicts as without it, and crosses the TF.js format; a rate out of [0, 1) is refused', () => {
    setSeed(4);
    const model = new Sequential([new LSTM({ units: 4, inputShape: [3, 2], dropout: 0.5 }), new Dense({ units: 2, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = randomTensor([4, 3, 2], 1, 'float32');
    const y = tensor([[1, 0], [0, 1], [1, 0], [0, 1]]);
    const { history } = model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
    expect(history.loss.every(Number.isFinite)).toBe(true);
    const back = fromTfjsArtifacts(toTfjsArtifacts(model));
    expect((back.layers[0] as LSTM).dropout).toBe(0.5);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    for (const bad of [1, -0.1, Number.NaN]) expect(() => new LSTM({ units: 2, dropout: bad })).toThrow(/dropout: expected a rate in \[0, 1\)/);
  });
});
