/**
 * Training in a Node worker_thread (examples/worker/): the model goes over as toJSON, progress
 * comes back after every epoch, the trained weights come back transferred; the result is the
 * training the main thread would have done, bit for bit (same seed), and the main thread's timers
 * ran meanwhile.
 */
import { build } from 'esbuild';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, Sequential, setSeed } from '../src/index.js';
import { trainInWorker } from '../examples/worker/train-in-worker.js';
import { randomOneHot, randomTensor } from './model-helpers.js';

let workerCode = '';
beforeAll(async () => {
  const entry = fileURLToPath(new URL('../examples/worker/node-entry.ts', import.meta.url));
  const result = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node18', write: false, logLevel: 'silent' });
  workerCode = result.outputFiles[0].text;
});

function makeModel(): Sequential {
  setSeed(3);
  const model = new Sequential([new LSTM({ units: 8, inputShape: [4, 3] }), new Dense({ units: 2, activation: 'softmax' })]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('training in a worker_thread', () => {
  it('trains to the bits of training here (same seed), with progress after every epoch and the weights transferred back', async () => {
    const x = randomTensor([16, 4, 3], 1, 'float32');
    const y = randomOneHot([16], 2, 2, 'float32');
    const here = makeModel();
    setSeed(9);
    const expected = here.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0 });

    const model = makeModel();
    const before = model.getWeights().map((w) => Array.from(w.data));
    const worker = new Worker(workerCode, { eval: true });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const progress: number[] = [];
      const history = await trainInWorker(worker, model, x.toArray(), y.toArray(), { epochs: 4, batchSize: 4, seed: 9 }, (epoch) => progress.push(epoch));
      expect(progress).toEqual([0, 1, 2, 3]);
      expect(history).toEqual(expected);
      expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(here.getWeights().map((w) => Array.from(w.data)));
      expect(model.getWeights().map((w) => Array.from(w.data))).not.toEqual(before);
      expect(ticks).toBeGreaterThan(0); // the main thread was free while the worker trained
    } finally {
      clearInterval(timer);
      await worker.terminate();
    }
  });

  it('reports an error in the worker as a rejection naming it', async () => {
    const model = makeModel();
    const worker = new Worker(workerCode, { eval: true });
    try {
      await expect(trainInWorker(worker, model, [[[1, 2]]], [[1, 0]], { epochs: 1 })).rejects.toThrow(/^trainInWorker: x: /);
    } finally {
      await worker.terminate();
    }
  });
});
