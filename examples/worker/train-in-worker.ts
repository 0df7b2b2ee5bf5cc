/**
 * Training in a worker, the main thread's side (the worker's is ./train-worker.ts): send the
 * model, receive progress after every epoch, and take the trained weights back (transferred:
 * no copy), which `trainInWorker` puts into the model. The model here stays usable meanwhile
 * (predict with its old weights); its weights change only when the worker is done.
 *
 *   // In a page (the worker bundled from ./train-worker.ts, e.g. by esbuild):
 *   const worker = new Worker('train-worker.js', { type: 'module' });
 *   const history = await trainInWorker(worker, model, x, y, { epochs: 50 }, (epoch, logs) => draw(epoch, logs.loss));
 *
 * In Node, `new Worker(file)` from 'node:worker_threads' with ./node-entry.ts as the file does the same.
 */
import { tensor, type FitOptions, type History, type Sequential, type TensorLike } from '../../src/index.js';
import type { TrainMessage, WorkerReply } from './train-worker.js';

/** A Web Worker or a Node worker_thread, as far as this needs it. */
export interface WorkerLike {
  postMessage(message: TrainMessage | { type: 'stop' }): void;
  addEventListener?(type: 'message', listener: (event: { data: WorkerReply }) => void): void;
  on?(type: 'message', listener: (data: WorkerReply) => void): void;
}

/** Train `model` in `worker`; resolves with the History once the trained weights are in `model`. */
export function trainInWorker(
  worker: WorkerLike, model: Sequential, x: TensorLike, y: TensorLike,
  options: Omit<FitOptions, 'callbacks'> & { seed?: number } = {},
  onEpoch?: (epoch: number, logs: Record<string, number>) => void,
): Promise<History> {
  const { seed, ...fitOptions } = options;
  return new Promise((resolve, reject) => {
    const listen = (reply: WorkerReply): void => {
      if (reply.type === 'progress') onEpoch?.(reply.epoch, reply.logs);
      else if (reply.type === 'error') reject(new Error(`trainInWorker: ${reply.message}`));
      else {
        const shapes = model.getWeights().map((w) => w.shape);
        model.setWeights(reply.weights.map((data, i) => tensor(data, [...shapes[i]])));
        resolve(reply.history);
      }
    };
    if (worker.on !== undefined) worker.on('message', listen);
    else worker.addEventListener!('message', (event) => listen(event.data));
    worker.postMessage({ type: 'train', model: model.toJSON(), x, y, options: fitOptions as FitOptions, seed });
  });
}

