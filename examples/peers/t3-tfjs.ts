/**
 * Not a tutorial: the evidence beside one. Tutorial T3 (the echo problem) trained with
 * TensorFlow.js 4.22 (wasm backend) instead of lstm-ts, on exactly the sequences examples/t3-echo.ts
 * draws for the same seed (training, the 100 test sequences, the 10,000 further ones), from
 * TF.js's own initial weights (its seeded glorotUniform / orthogonal initializers). The original
 * reports 100/100 from one run; this row of the tutorial report shows how often the engine most
 * users would pick reaches it, seed by seed beside lstm-ts' T3 row.
 *
 *   npm run tutorials -- --report --only T3,T3-tfjs,T3-tfjs-weights   # 50 seeds of each, about 25 minutes
 *
 * The layers are configured as Keras' current defaults, as lstm-ts' are (sigmoid gates, unit
 * forget bias, Adam ε 1e-7): bench/engines/tfjs.ts builds them for the benchmark's W3 too.
 */
import * as tf from '@tensorflow/tfjs';
import { adam, dense, lstm, setUpTfjs } from '../../bench/engines/tfjs.js';
import { tensor } from '../../src/index.js';
import { DataRandom, type Outcome, type PeerExperiment, type RunOptions } from '../common.js';
import { echo, echoOutcome, echoSequence, tutorial } from '../t3-echo.js';

const s = tutorial;

/** The sequences as a one-hot [n, length, features] tensor. */
function oneHotBatch(sequences: number[][]): tf.Tensor3D {
  const data = new Float32Array(sequences.length * s.length * s.features);
  sequences.forEach((sequence, n) => sequence.forEach((v, t) => (data[(n * s.length + t) * s.features + v] = 1)));
  return tf.tensor3d(data, [sequences.length, s.length, s.features]);
}

/** How many of `sequences` the model answers with the value at outIndex. */
function correctOn(model: tf.Sequential, sequences: number[][]): number {
  const x = oneHotBatch(sequences);
  const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1)).dataSync();
  x.dispose();
  return sequences.filter((sequence, k) => predicted[k] === sequence[s.outIndex]).length;
}

/** The tutorial's model in TF.js, its initial weights drawn by TF.js's initializers seeded from `seed`. */
function tfjsModel(seed: number): tf.Sequential {
  return tf.sequential({ layers: [lstm(s.units, seed, { inputShape: [s.length, s.features] }), dense(s.features, 'softmax', seed)] });
}

async function echoOnTfjs(o: RunOptions): Promise<Outcome> {
  if (o.recurrentActivation !== 'sigmoid') throw new Error('T3-tfjs runs with sigmoid gates only');
  await setUpTfjs('wasm');
  // The draws in the order echo() makes them: the training sequences, 100 test sequences, the one
  // it prints, 10,000 further ones.
  const random = new DataRandom(o.seed);
  const updates = o.epochs ?? s.updates;
  const train = Array.from({ length: updates }, () => echoSequence(random, s));
  const test = Array.from({ length: 100 }, () => echoSequence(random, s));
  echoSequence(random, s);
  const more = Array.from({ length: 10_000 }, () => echoSequence(random, s));

  const model = tfjsModel(o.seed);
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  for (const sequence of train) {
    const x = oneHotBatch([sequence]);
    const y = tf.tensor2d([Array.from({ length: s.features }, (_, v) => (v === sequence[s.outIndex] ? 1 : 0))]);
    await model.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 });
    tf.dispose([x, y]);
  }
  const correct = correctOn(model, test);
  const p = correctOn(model, more) / more.length;
  model.dispose();
  o.log(`Accuracy: ${correct.toFixed(6)}`);
  o.log(`Accuracy on 10,000 more new sequences: ${(p * 100).toFixed(2)}%`);
  return echoOutcome(correct, p, updates);
}

/**
 * The control: lstm-ts trains the tutorial (examples/t3-echo.ts, unchanged) from the initial
 * weights TF.js draws for the seed, on the same sequences. If the two engines compute the same
 * training, this row scores what T3-tfjs scores, seed by seed, and any difference between T3 and
 * T3-tfjs comes from the initial weights drawn, not from the engine.
 */
async function echoFromTfjsWeights(o: RunOptions): Promise<Outcome> {
  await setUpTfjs('wasm');
  const peer = tfjsModel(o.seed);
  const weights = peer.getWeights().map((w) => tensor(w.dataSync() as Float32Array, w.shape));
  peer.dispose();
  return echo(o, s, weights);
}

export const peers: PeerExperiment[] = [
  {
    id: 'T3-tfjs',
    tutorial: 'T3',
    title: 'peer: the tutorial on TF.js 4.22 (wasm), the same sequences, its own initial weights',
    original: '100% on 100 new sequences',
    goal: '100/100',
    seeds: 50,
    peer: true,
    run: echoOnTfjs,
  },
  {
    id: 'T3-tfjs-weights',
    tutorial: 'T3',
    title: "control: lstm-ts from TF.js's initial weights for the seed, the same sequences",
    original: '100% on 100 new sequences (here: what T3-tfjs scores)',
    goal: '100/100',
    seeds: 50,
    peer: true,
    run: echoFromTfjsWeights,
  },
];
