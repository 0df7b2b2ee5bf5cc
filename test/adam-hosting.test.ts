/**
 * Adam hosting a model's weights and gradients (adam.ts, updateAll with `host`): in a model's
 * training step the float32 parameters' storage moves into the WebAssembly kernel's memory, so
 * the step copies nothing in or out. It must change no result, keep the Tensor objects, and
 * never make two models share weights.
 */
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, Sequential, setSeed, tensor, type Tensor } from '../src/index.js';
import { adamWasmAvailable } from '../src/optim/wasm/adam-wasm.js';
import { randomOneHot, randomTensor } from './model-helpers.js';

function model(seed: number, optimizer = new Adam({ learningRate: 0.01 })): Sequential {
  setSeed(seed);
  const m = new Sequential([new LSTM({ units: 6, inputShape: [3, 4] }), new Dense({ units: 5, activation: 'softmax' })], { dtype: 'float32' });
  m.compile({ optimizer, loss: 'categoricalCrossentropy' });
  m.build();
  return m;
}
const bits = (ts: Tensor[]) => ts.map((t) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));
const x = randomTensor([4, 3, 4], 11, 'float32');
const y = randomOneHot([4], 5, 12, 'float32');

describe.skipIf(!adamWasmAvailable())('Adam hosting the model\'s weights', () => {
  it('trainOnBatch (hosted) and computeGradients + applyGradients (copied) give the same weights, bit for bit', () => {
    const hosted = model(3);
    const copied = model(3);
    for (let step = 0; step < 15; step++) {
      const lossHosted = hosted.trainOnBatch(x, y);
      const { loss, grads } = copied.computeGradients(x, y);
      copied.optimizer!.applyGradients(copied.trainableWeights, grads);
      expect(lossHosted).toBe(loss);
    }
    expect(bits(hosted.trainableWeights)).toEqual(bits(copied.trainableWeights));
  });

  it('keeps the Tensor objects; their storage moves into the kernel\'s memory once', () => {
    const m = model(4);
    const before = m.trainableWeights;
    const buffers = before.map((w) => w.data.buffer);
    m.trainOnBatch(x, y);
    const after = m.trainableWeights;
    after.forEach((w, i) => expect(w).toBe(before[i]));
    expect(after.every((w, i) => w.data.buffer !== buffers[i])).toBe(true);
    const hostedBuffer = after[0].data.buffer;
    expect(after.every((w) => w.data.buffer === hostedBuffer)).toBe(true); // one memory for all
    m.trainOnBatch(x, y);
    expect(m.trainableWeights.every((w) => w.data.buffer === hostedBuffer)).toBe(true); // not moved again
  });

  it('two models, each with its own Adam, keep weights of their own (one Adam is never shared: test/optimizer-sharing.test.ts)', () => {
    const first = model(5);
    const second = model(6);
    first.trainOnBatch(x, y);
    const firstAfterOwnStep = bits(first.trainableWeights);
    for (let step = 0; step < 3; step++) second.trainOnBatch(x, y);
    expect(bits(first.trainableWeights)).toEqual(firstAfterOwnStep); // the second model's steps never wrote them
    second.trainableWeights.forEach((w, i) => expect(w.data.buffer === first.trainableWeights[i].data.buffer).toBe(false));
    expect(() => model(7, first.optimizer as Adam)).toThrow(/^compile: optimizer is already used by model 'sequential_\d+'/);
  });

  it('setWeights after hosting writes the weights the next step updates', () => {
    const m = model(7);
    m.trainOnBatch(x, y);
    const reference = model(8);
    m.setWeights(reference.getWeights());
    const adamState = m.optimizer!.getState();
    const copy = model(8);
    copy.optimizer!.setState(adamState);
    copy.optimizer!.applyGradients(copy.trainableWeights, copy.computeGradients(x, y).grads);
    m.trainOnBatch(x, y);
    expect(bits(m.trainableWeights)).toEqual(bits(copy.trainableWeights));
  });

  it('after a plain tensor list is updated with applyGradients, the caller\'s arrays are not moved', () => {
    const adam = new Adam();
    const w = tensor(Float32Array.from([1, 2, 3]), [3]);
    const g = tensor(Float32Array.from([0.5, -1, 2]), [3]);
    const data = w.data;
    adam.applyGradients([w], [g]);
    expect(w.data).toBe(data);
    expect(Array.from(w.data)).not.toEqual([1, 2, 3]);
  });
});
