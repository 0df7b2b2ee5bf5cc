/**
 * Training in a worker, so the thread that shows a page (or serves requests) never waits for it.
 * This is the worker's side: it receives a model as `toJSON()` wrote it, trains it with
 * `fitAsync`, posts its progress after every epoch, and posts the trained weights back as
 * transferred buffers (moved, not copied). The main thread's side is `trainInWorker` in
 * ./train-in-worker.ts. It runs as a Web Worker (`self`) or a Node `worker_thread` (`parentPort`)
 * alike: it only needs a `postMessage` and an `onmessage`.
 *
 * Messages in:  { type: 'train', model: SequentialJSON, x, y, options: FitOptions, seed? }
 *               { type: 'stop' }  (stops after the batch in progress, as model.stopTraining)
 * Messages out: { type: 'progress', epoch, logs }  after every epoch
 *               { type: 'done', history, weights: Float32Array[] }  (weights transferred)
 *               { type: 'error', message }
 */
import { Sequential, setSeed, type FitOptions, type History, type SequentialJSON, type TensorLike } from '../../src/index.js';

export interface TrainMessage {
  type: 'train';
  model: SequentialJSON;
  x: TensorLike;
  y: TensorLike;
  options?: FitOptions;
  /** setSeed in the worker first (its random stream is its own): the same seed gives the same training as on the main thread. */
  seed?: number;
}
export type WorkerReply =
  | { type: 'progress'; epoch: number; logs: Record<string, number> }
  | { type: 'done'; history: History; weights: Float32Array[] | Float64Array[] }
  | { type: 'error'; message: string };

/** What the worker needs of its host: Web Worker `self`, or a wrapper of Node's `parentPort`. */
export interface WorkerScope {
  postMessage(message: WorkerReply, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: { data: TrainMessage | { type: 'stop' } }) => void) | null;
}

/** Serve training requests on this scope. */
export function serveTraining(scope: WorkerScope): void {
  let model: Sequential | undefined;
  scope.onmessage = ({ data }) => {
    if (data.type === 'stop') {
      if (model !== undefined) model.stopTraining = true;
      return;
    }
    void (async () => {
      try {
        if (data.seed !== undefined) setSeed(data.seed);
        model = Sequential.fromJSON(data.model); // weights, compile settings and optimizer state
        const user = data.options?.callbacks;
        const progress = { onEpochEnd: (epoch: number, logs: Record<string, number>) => scope.postMessage({ type: 'progress', epoch, logs: { ...logs } }) };
        const callbacks = user === undefined ? [progress] : [...(Array.isArray(user) ? user : [user]), progress];
        const history = await model.fitAsync(data.x, data.y, { verbose: 0, ...data.options, callbacks });
        const weights = model.getWeights().map((w) => w.data) as Float32Array[];
        scope.postMessage({ type: 'done', history, weights }, weights.map((w) => w.buffer as ArrayBuffer));
      } catch (error) {
        scope.postMessage({ type: 'error', message: (error as Error).message });
      }
    })();
  };
}

// Started as a worker: a Web Worker has `self` with postMessage; a Node worker_thread hands
// its parentPort to this file through the bundle's entry (./node-entry.ts).
declare const self: WorkerScope | undefined;
if (typeof self === 'object' && self !== null && typeof (self as { postMessage?: unknown }).postMessage === 'function' && typeof (globalThis as { window?: unknown }).window === 'undefined') {
  serveTraining(self);
}
