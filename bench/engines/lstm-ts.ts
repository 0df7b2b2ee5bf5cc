/**
 * The workloads on lstm-ts, through the public API exactly as a user writes them:
 * Sequential / LSTM / Dense / compile, then `fit` for the tutorials' loops (W1–W3, as the
 * tutorials call it) and `trainOnBatch` for one training step (W4, W5).
 *
 * W3 and W4 also run with another recurrent layer in the LSTM's place (bench/cells.ts: GRU and
 * SimpleRNN beside the LSTM, per unit of work), named by `recurrent`: 'lstm' (the workload as
 * defined), 'lstm-ts-cell' (the LSTM with its TypeScript cell instead of the WebAssembly one, as
 * GRU and SimpleRNN run theirs), 'gru' (resetAfter true, Keras' default), 'gru-reset-before'
 * (resetAfter false), 'simple-rnn'.
 */
import { Adam, Dense, GRU, LSTM, Sequential, SimpleRNN, setSeed, tensor, type Layer } from '../../src/index.js';
import { useWasmCells } from '../../src/layers/recurrent/kernels.js';
import {
  MiB, RssSampler, W1_SEQUENCES, cpuNowMs, monotonicUs, W4_SHAPE, W5_SHAPE, echoSamples, median, oneHotRows, randomBatch, scaleOf,
  type RunResult, type SequenceShape, type WorkloadId,
} from '../workloads.js';

/** Which recurrent layer W3 and W4 run (see the file's header). */
export type RecurrentKind = 'lstm' | 'lstm-ts-cell' | 'gru' | 'gru-reset-before' | 'simple-rnn';
export const RECURRENT_KINDS: readonly RecurrentKind[] = ['lstm', 'lstm-ts-cell', 'gru', 'gru-reset-before', 'simple-rnn'];
/** H-wide gate blocks of each kind: its forward FLOPs are 2·B·T·blocks·H·(I + H). */
export const GATE_BLOCKS: Record<RecurrentKind, number> = { lstm: 4, 'lstm-ts-cell': 4, gru: 3, 'gru-reset-before': 3, 'simple-rnn': 1 };

let recurrentKind: RecurrentKind = 'lstm';

/** The recurrent layer of W3 / W4. */
function recurrentLayer(units: number, inputShape: number[]): Layer {
  switch (recurrentKind) {
    case 'lstm':
    case 'lstm-ts-cell':
      return new LSTM({ units, inputShape });
    case 'gru':
      return new GRU({ units, inputShape });
    case 'gru-reset-before':
      return new GRU({ units, inputShape, resetAfter: false });
    case 'simple-rnn':
      return new SimpleRNN({ units, inputShape });
  }
}

export function runLstmTs(workload: WorkloadId, run: number, seed: number, quick: boolean, sampler: RssSampler, recurrent: RecurrentKind = 'lstm'): RunResult {
  setSeed(seed);
  if (recurrent !== 'lstm' && workload !== 'W3' && workload !== 'W4') throw new Error(`bench: ${recurrent} runs W3 and W4 only, got ${workload}`);
  recurrentKind = recurrent;
  if (recurrent === 'lstm-ts-cell') useWasmCells(false);
  const base = { engine: recurrent === 'lstm' ? 'lstm-ts' : `lstm-ts/${recurrent}`, workload, run, seed, quick };
  switch (workload) {
    case 'W1':
      return { ...base, ...w1(quick, sampler), peakRssMiB: 0, maxRssMiB: 0 };
    case 'W2':
      return { ...base, ...w2(quick, sampler), peakRssMiB: 0, maxRssMiB: 0 };
    case 'W3':
      return { ...base, ...w3(seed, quick, sampler), peakRssMiB: 0, maxRssMiB: 0 };
    case 'W4':
      return { ...base, ...stepWorkload(W4_SHAPE, 'W4', seed, quick, sampler), peakRssMiB: 0, maxRssMiB: 0 };
    case 'W5':
      return { ...base, ...stepWorkload(W5_SHAPE, 'W5', seed, quick, sampler), peakRssMiB: 0, maxRssMiB: 0 };
  }
}

type Partial = Omit<RunResult, 'engine' | 'workload' | 'run' | 'seed' | 'quick' | 'peakRssMiB' | 'maxRssMiB'>;

/** W1: tutorial T1. */
function w1(quick: boolean, sampler: RssSampler): Partial {
  const epochs = scaleOf('W1', quick).updatesOrEpochs;
  const pairs = W1_SEQUENCES.map((seq) => ({
    x: tensor(oneHotRows(seq.slice(0, -1), 5), [4, 1, 5]),
    y: tensor(oneHotRows(seq.slice(1), 5), [4, 5]),
    seq,
  }));
  const model = new Sequential([
    new LSTM({ units: 20, batchInputShape: [1, 1, 5], stateful: true }),
    new Dense({ units: 5, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  model.build(); // weights drawn now, not inside the first timed update (TF.js builds at construction)

  const w0 = monotonicUs();
  const c0 = cpuNowMs();
  const t0 = performance.now();
  let tWarm = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch === Math.floor((3 * epochs) / 4)) tWarm = performance.now();
    for (const { x, y } of pairs) {
      model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
      model.resetStates();
    }
    if (epoch % 50 === 0) sampler.sample();
  }
  const wallMs = performance.now() - t0;
  const windowUs: [number, number] = [w0, monotonicUs()];
  const cpuMs = cpuNowMs() - c0;
  sampler.sample();

  let correct = 0;
  for (const { x, seq } of pairs) {
    const predicted = model.predictClasses(x).data;
    model.resetStates();
    for (let t = 0; t < 4; t++) if (predicted[t] === seq[t + 1]) correct++;
  }
  const updates = epochs * 8;
  const warmUpdatesPerSecond = (updates - Math.floor((3 * epochs) / 4) * 8) / ((t0 + wallMs - tWarm) / 1000);
  return { updates, wallMs, cpuMs, windowUs, updatesPerSecond: updates / (wallMs / 1000), warmUpdatesPerSecond, outcome: { correct, total: 8, allCorrect: correct === 8 } };
}

/** W2: the alphabet, one character to the next, stateful, batch 1. */
function w2(quick: boolean, sampler: RssSampler): Partial {
  const epochs = scaleOf('W2', quick).updatesOrEpochs;
  const indices = Array.from({ length: 25 }, (_, i) => i);
  const x = tensor(Float32Array.from(indices, (i) => i / 26), [25, 1, 1]);
  const y = tensor(oneHotRows(indices.map((i) => i + 1), 26), [25, 26]);
  const model = new Sequential([
    new LSTM({ units: 32, batchInputShape: [1, 1, 1], stateful: true }),
    new Dense({ units: 26, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  model.build(); // weights drawn now, not inside the first timed update (TF.js builds at construction)

  const w0 = monotonicUs();
  const c0 = cpuNowMs();
  const t0 = performance.now();
  let tWarm = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch === Math.floor((3 * epochs) / 4)) tWarm = performance.now();
    model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
    model.resetStates();
    if (epoch % 50 === 0) sampler.sample();
  }
  const wallMs = performance.now() - t0;
  const windowUs: [number, number] = [w0, monotonicUs()];
  const cpuMs = cpuNowMs() - c0;
  sampler.sample();

  const predicted = model.predictClasses(x).data;
  model.resetStates();
  let correct = 0;
  for (let i = 0; i < 25; i++) if (predicted[i] === i + 1) correct++;
  const updates = epochs * 25;
  const warmUpdatesPerSecond = (updates - Math.floor((3 * epochs) / 4) * 25) / ((t0 + wallMs - tWarm) / 1000);
  return { updates, wallMs, cpuMs, windowUs, updatesPerSecond: updates / (wallMs / 1000), warmUpdatesPerSecond, outcome: { correct, total: 25 } };
}

/** W3: the echo problem, each update one fit on one fresh sample; memory after 1,000 and 10,000 updates. */
function w3(seed: number, quick: boolean, sampler: RssSampler): Partial {
  const updates = scaleOf('W3', quick).updatesOrEpochs;
  const train = echoSamples(seed * 7919 + 1, updates);
  const test = echoSamples(seed * 7919 + 2, 100);
  const model = new Sequential([
    recurrentLayer(25, [5, 10]),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  model.build(); // weights drawn now, not inside the first timed update (TF.js builds at construction)

  const extra: Partial = {};
  let paused = 0; // time spent measuring memory, left out of the wall time
  let pausedCpu = 0;
  const w0 = monotonicUs();
  const c0 = cpuNowMs();
  const t0 = performance.now();
  let tWarm = 0;
  let pausedAtWarm = 0;
  const warmFrom = Math.floor((3 * updates) / 4);
  for (let u = 0; u < updates; u++) {
    if (u === warmFrom) {
      tWarm = performance.now();
      pausedAtWarm = paused;
    }
    const x = tensor(oneHotRows(train.sequences[u], 10), [1, 5, 10]);
    const y = tensor(oneHotRows([train.targets[u]], 10), [1, 10]);
    model.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 });
    if (u % 500 === 499) sampler.sample();
    if (u + 1 === 1000 || u + 1 === 10_000) {
      const p0 = performance.now();
      const pc0 = cpuNowMs();
      const noGc = sampler.sample() / MiB;
      const afterGc = sampler.gcAndSample() / MiB;
      if (u + 1 === 1000) Object.assign(extra, { rssAfter1kNoGcMiB: noGc, rssAfter1kMiB: afterGc });
      else Object.assign(extra, { rssAfter10kNoGcMiB: noGc, rssAfter10kMiB: afterGc });
      paused += performance.now() - p0;
      pausedCpu += cpuNowMs() - pc0;
    }
  }
  const wallMs = performance.now() - t0 - paused;
  const windowUs: [number, number] = [w0, monotonicUs()];
  const cpuMs = cpuNowMs() - c0 - pausedCpu;

  const xTest = tensor(new Float32Array(test.sequences.flatMap((s) => Array.from(oneHotRows(s, 10)))), [100, 5, 10]);
  const predicted = model.predictClasses(xTest).data;
  let correct = 0;
  for (let i = 0; i < 100; i++) if (predicted[i] === test.targets[i]) correct++;
  const warmUpdatesPerSecond = (updates - warmFrom) / ((t0 + wallMs + paused - tWarm - (paused - pausedAtWarm)) / 1000);
  return { ...extra, updates, wallMs, warmUpdatesPerSecond, cpuMs, windowUs, updatesPerSecond: updates / (wallMs / 1000), outcome: { correct, total: 100 } };
}

/** W4, W5: trainOnBatch on one fixed random batch; each step timed alone; W5 also times predict. */
function stepWorkload(s: SequenceShape, id: 'W4' | 'W5', seed: number, quick: boolean, sampler: RssSampler): Partial {
  const scale = scaleOf(id, quick);
  const data = randomBatch(seed, s);
  const x = tensor(data.x, [s.B, s.T, s.I]);
  const y = tensor(data.y, [s.B, s.D]);
  const model = new Sequential([
    id === 'W4' ? recurrentLayer(s.H, [s.T, s.I]) : new LSTM({ units: s.H, inputShape: [s.T, s.I] }),
    new Dense({ units: s.D, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy' });
  model.build(); // weights drawn now, not inside the first timed step (TF.js builds at construction)

  for (let i = 0; i < scale.warmup; i++) model.trainOnBatch(x, y);
  sampler.sample();
  const w0 = monotonicUs();
  const c0 = cpuNowMs();
  const stepMs: number[] = [];
  for (let i = 0; i < scale.steps; i++) {
    const t0 = performance.now();
    model.trainOnBatch(x, y);
    stepMs.push(performance.now() - t0);
    sampler.sample();
  }
  const windowUs: [number, number] = [w0, monotonicUs()];
  const cpuMs = cpuNowMs() - c0;
  const forwardMs: number[] = [];
  for (let i = 0; i < scale.forwards; i++) {
    const t0 = performance.now();
    model.predict(x, { batchSize: s.B });
    forwardMs.push(performance.now() - t0);
    sampler.sample();
  }
  return {
    stepMs,
    windowUs,
    cpuMs,
    medianStepMs: median(stepMs),
    ...(forwardMs.length > 0 ? { forwardMs, medianForwardMs: median(forwardMs) } : {}),
  };
}
