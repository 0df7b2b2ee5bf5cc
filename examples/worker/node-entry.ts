/** The worker's entry in Node: ./train-worker.ts served on worker_threads' parentPort. */
import { parentPort } from 'node:worker_threads';
import { serveTraining, type WorkerScope } from './train-worker.js';

if (parentPort === null) throw new Error('node-entry.ts runs as a worker_thread (new Worker(file))');
const port = parentPort;
const scope: WorkerScope = {
  postMessage: (message, transfer) => port.postMessage(message, transfer),
  onmessage: null,
};
port.on('message', (data) => scope.onmessage?.({ data }));
serveTraining(scope);
