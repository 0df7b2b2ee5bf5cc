/**
 * The workloads on TensorFlow.js 4.22 (the peer most users would pick), with its pure-JavaScript
 * 'cpu' backend or its WebAssembly 'wasm' backend (XNNPACK, SIMD, one thread), through the
 * Layers API as a user writes it: tf.sequential, tf.layers.lstm / dense, compile, `fit` for the
 * tutorials' loops (W1–W3) and `trainOnBatch` for one training step (W4, W5).
 *
 * The layers are configured as Keras' current defaults (and lstm-ts's): recurrentActivation
 * 'sigmoid', kernel glorotUniform, recurrent kernel orthogonal, unit forget bias (TF.js's own
 * defaults differ); Adam with Keras' ε = 1e-7. Model building is never timed (TF.js's orthogonal
 * initializer is slow on W5's [512, 2048] kernel).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  MiB, RssSampler, W1_SEQUENCES, W4_SHAPE, W5_SHAPE, echoSamples, median, oneHotRows, randomBatch, scaleOf,
  type RunResult, type SequenceShape, type WorkloadId,
} from '../workloads.js';

export type TfBackend = 'cpu' | 'wasm';

export async function setUpTfjs(backend: TfBackend): Promise<string[]> {
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one thread, as lstm-ts
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js: backend '${backend}' did not initialise`);
  await tf.ready();
  const notes = [`TF.js ${tf.version.tfjs}, backend ${tf.getBackend()}`];
  if (backend === 'wasm') notes.push(`SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'on' : 'off'}`);
  return notes;
}

type Partial = Omit<RunResult, 'engine' | 'workload' | 'run' | 'seed' | 'quick' | 'peakRssMiB' | 'maxRssMiB'>;

export async function runTfjs(backend: TfBackend, workload: WorkloadId, run: number, seed: number, quick: boolean, sampler: RssSampler): Promise<RunResult> {
  const notes = await setUpTfjs(backend);
  const base = { engine: `tfjs-${backend}`, workload, run, seed, quick, peakRssMiB: 0, maxRssMiB: 0, notes };
  switch (workload) {
    case 'W1':
      return { ...base, ...(await w1(quick, sampler, seed)) };
    case 'W2':
      return { ...base, ...(await w2(quick, sampler, seed)) };
    case 'W3':
      return { ...base, ...(await w3(seed, quick, sampler)) };
    case 'W4':
      return { ...base, ...(await stepWorkload(W4_SHAPE, 'W4', seed, quick, sampler)) };
    case 'W5':
      return { ...base, ...(await stepWorkload(W5_SHAPE, 'W5', seed, quick, sampler)) };
  }
}

/** tf.layers.lstm configured as Keras' (and lstm-ts') defaults, its initializers seeded from `seed` (also used by examples/peers). */
export function lstm(units: number, seed: number, shape: { batchInputShape?: number[]; inputShape?: number[] }, stateful = false): tf.layers.Layer {
  return tf.layers.lstm({
    units,
    ...shape,
    stateful,
    recurrentActivation: 'sigmoid',
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
    unitForgetBias: true,
  });
}

/** tf.layers.dense with a seeded glorotUniform kernel. */
export function dense(units: number, activation: 'sigmoid' | 'softmax', seed: number): tf.layers.Layer {
  return tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) });
}

/** Adam with Keras' defaults (ε = 1e-7, not TF.js' 1e-8). */
export const adam = (): tf.Optimizer => tf.train.adam(0.001, 0.9, 0.999, 1e-7);

function argmaxRows(t: tf.Tensor): Int32Array {
  return tf.tidy(() => t.argMax(-1)).dataSync() as Int32Array;
}

async function w1(quick: boolean, sampler: RssSampler, seed: number): Promise<Partial> {
  const epochs = scaleOf('W1', quick).updatesOrEpochs;
  const pairs = W1_SEQUENCES.map((seq) => ({
    x: tf.tensor3d(oneHotRows(seq.slice(0, -1), 5), [4, 1, 5]),
    y: tf.tensor2d(oneHotRows(seq.slice(1), 5), [4, 5]),
    seq,
  }));
  const model = tf.sequential({ layers: [lstm(20, seed, { batchInputShape: [1, 1, 5] }, true), dense(5, 'sigmoid', seed)] });
  model.compile({ optimizer: adam(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });

  const t0 = performance.now();
  let tWarm = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch === Math.floor((3 * epochs) / 4)) tWarm = performance.now();
    for (const { x, y } of pairs) {
      await model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
      model.resetStates();
    }
    if (epoch % 25 === 0) sampler.sample();
  }
  const wallMs = performance.now() - t0;
  sampler.sample();

  let correct = 0;
  for (const { x, seq } of pairs) {
    const out = model.predict(x, { batchSize: 1 }) as tf.Tensor;
    const predicted = argmaxRows(out);
    out.dispose();
    model.resetStates();
    for (let t = 0; t < 4; t++) if (predicted[t] === seq[t + 1]) correct++;
  }
  const updates = epochs * 8;
  const warmUpdatesPerSecond = (updates - Math.floor((3 * epochs) / 4) * 8) / ((t0 + wallMs - tWarm) / 1000);
  return { updates, wallMs, updatesPerSecond: updates / (wallMs / 1000), warmUpdatesPerSecond, outcome: { correct, total: 8, allCorrect: correct === 8 } };
}

async function w2(quick: boolean, sampler: RssSampler, seed: number): Promise<Partial> {
  const epochs = scaleOf('W2', quick).updatesOrEpochs;
  const indices = Array.from({ length: 25 }, (_, i) => i);
  const x = tf.tensor3d(Float32Array.from(indices, (i) => i / 26), [25, 1, 1]);
  const y = tf.tensor2d(oneHotRows(indices.map((i) => i + 1), 26), [25, 26]);
  const model = tf.sequential({ layers: [lstm(32, seed, { batchInputShape: [1, 1, 1] }, true), dense(26, 'softmax', seed)] });
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  const t0 = performance.now();
  let tWarm = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch === Math.floor((3 * epochs) / 4)) tWarm = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
    model.resetStates();
    if (epoch % 10 === 0) sampler.sample();
  }
  const wallMs = performance.now() - t0;
  sampler.sample();

  const out = model.predict(x, { batchSize: 1 }) as tf.Tensor;
  const predicted = argmaxRows(out);
  out.dispose();
  let correct = 0;
  for (let i = 0; i < 25; i++) if (predicted[i] === i + 1) correct++;
  const updates = epochs * 25;
  const warmUpdatesPerSecond = (updates - Math.floor((3 * epochs) / 4) * 25) / ((t0 + wallMs - tWarm) / 1000);
  return { updates, wallMs, updatesPerSecond: updates / (wallMs / 1000), warmUpdatesPerSecond, outcome: { correct, total: 25 } };
}

async function w3(seed: number, quick: boolean, sampler: RssSampler): Promise<Partial> {
  const updates = scaleOf('W3', quick).updatesOrEpochs;
  const train = echoSamples(seed * 7919 + 1, updates);
  const test = echoSamples(seed * 7919 + 2, 100);
  const model = tf.sequential({ layers: [lstm(25, seed, { inputShape: [5, 10] }), dense(10, 'softmax', seed)] });
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  const extra: Partial = {};
  let paused = 0;
  const t0 = performance.now();
  let tWarm = 0;
  let pausedAtWarm = 0;
  const warmFrom = Math.floor((3 * updates) / 4);
  for (let u = 0; u < updates; u++) {
    if (u === warmFrom) {
      tWarm = performance.now();
      pausedAtWarm = paused;
    }
    const x = tf.tensor3d(oneHotRows(train.sequences[u], 10), [1, 5, 10]);
    const y = tf.tensor2d(oneHotRows([train.targets[u]], 10), [1, 10]);
    await model.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 });
    x.dispose();
    y.dispose();
    if (u % 100 === 99) sampler.sample();
    if (u + 1 === 1000 || u + 1 === 10_000) {
      const p0 = performance.now();
      const noGc = sampler.sample() / MiB;
      const afterGc = sampler.gcAndSample() / MiB;
      if (u + 1 === 1000) Object.assign(extra, { rssAfter1kNoGcMiB: noGc, rssAfter1kMiB: afterGc });
      else Object.assign(extra, { rssAfter10kNoGcMiB: noGc, rssAfter10kMiB: afterGc });
      paused += performance.now() - p0;
    }
  }
  const wallMs = performance.now() - t0 - paused;

  const xTest = tf.tensor3d(new Float32Array(test.sequences.flatMap((s) => Array.from(oneHotRows(s, 10)))), [100, 5, 10]);
  const out = model.predict(xTest) as tf.Tensor;
  const predicted = argmaxRows(out);
  out.dispose();
  let correct = 0;
  for (let i = 0; i < 100; i++) if (predicted[i] === test.targets[i]) correct++;
  const warmUpdatesPerSecond = (updates - warmFrom) / ((t0 + wallMs + paused - tWarm - (paused - pausedAtWarm)) / 1000);
  return { ...extra, updates, wallMs, warmUpdatesPerSecond, updatesPerSecond: updates / (wallMs / 1000), outcome: { correct, total: 100 } };
}

async function stepWorkload(s: SequenceShape, id: 'W4' | 'W5', seed: number, quick: boolean, sampler: RssSampler): Promise<Partial> {
  const scale = scaleOf(id, quick);
  const data = randomBatch(seed, s);
  const x = tf.tensor3d(data.x, [s.B, s.T, s.I]);
  const y = tf.tensor2d(data.y, [s.B, s.D]);
  const model = tf.sequential({ layers: [lstm(s.H, seed, { inputShape: [s.T, s.I] }), dense(s.D, 'softmax', seed)] });
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy' });

  for (let i = 0; i < scale.warmup; i++) await model.trainOnBatch(x, y);
  sampler.sample();
  const stepMs: number[] = [];
  for (let i = 0; i < scale.steps; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, y); // resolves once the loss is read back: the step has run
    stepMs.push(performance.now() - t0);
    sampler.sample();
  }
  const forwardMs: number[] = [];
  for (let i = 0; i < scale.forwards; i++) {
    const t0 = performance.now();
    const out = model.predict(x, { batchSize: s.B }) as tf.Tensor;
    out.dataSync();
    forwardMs.push(performance.now() - t0);
    out.dispose();
    sampler.sample();
  }
  return {
    stepMs,
    medianStepMs: median(stepMs),
    ...(forwardMs.length > 0 ? { forwardMs, medianForwardMs: median(forwardMs) } : {}),
  };
}
