/**
 * npm run demo: tutorial T1, "memory across time steps", trained in a few seconds.
 *
 * Two sequences over an alphabet of 5 values, 3,0,1,2,3 and 4,0,1,2,4, are learned as pairs of
 * consecutive values (3→0, 0→1, 1→2, 2→3). The catch is the last pair: 2→3 in one sequence and
 * 2→4 in the other. Only a model that remembers the first value, three steps back, gets both.
 *
 * As in the tutorial: a stateful LSTM(20) sees one time step per batch (batch size 1), so the
 * memory lives only in the carried state; Dense(5, sigmoid), binary cross-entropy, Adam,
 * 250 epochs of (fit sequence 1, reset states, fit sequence 2, reset states).
 *
 * About seeds, openly: in exactly this setting a correct engine (TF.js included) gets all 8
 * predictions right on only about half of all random seeds, and 7 of 8 on most of the rest,
 * because gradients never cross batch edges: the state must carry the memory without ever being
 * trained to. The default seed below is one on which it succeeds; pass --seed N to try others.
 *
 *   npm run demo                 # seed 3
 *   npm run demo -- --seed 5
 */
import { Adam, Dense, LSTM, Sequential, oneHot, setSeed } from '../src/index.js';

const seedFlag = process.argv.indexOf('--seed');
const seed = seedFlag >= 0 ? Number(process.argv[seedFlag + 1]) : 3;
if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got ${process.argv[seedFlag + 1]}`);
setSeed(seed);

// --- Data: each sequence as (X, y) pairs of consecutive values, one-hot over 5 values.
const sequences = [
  [3, 0, 1, 2, 3],
  [4, 0, 1, 2, 4],
];
const pairs = sequences.map((seq) => ({
  seq,
  x: oneHot(seq.slice(0, -1), 5).reshape([4, 1, 5]), // [samples, timeSteps = 1, features = 5]
  y: oneHot(seq.slice(1), 5), // [samples, 5]
}));

// --- Model: stateful, batch size fixed at 1, one time step per batch.
const model = new Sequential([
  new LSTM({ units: 20, batchInputShape: [1, 1, 5], stateful: true }),
  new Dense({ units: 5, activation: 'sigmoid' }),
]);
model.compile({ optimizer: new Adam(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
model.summary();

// --- Training: 250 epochs; the state is reset between the sequences so they don't run together.
const epochs = 250;
const started = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  let loss = 0;
  for (const { x, y } of pairs) {
    loss += model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 }).history.loss[0] / pairs.length;
    model.resetStates();
  }
  // Redrawn in place on a terminal; elsewhere (a log, CI) only the finished bar is printed.
  if ((process.stderr.isTTY && epoch % 10 === 0) || epoch === epochs) drawProgress(epoch, epochs, loss);
}
process.stderr.write('\n');
const seconds = (performance.now() - started) / 1000;

// --- What it learned: each sequence fed again from a fresh state, predictions in context.
let correct = 0;
for (const { seq, x } of pairs) {
  const predicted = model.predictClasses(x).toArray() as number[];
  model.resetStates();
  console.log(`\nsequence ${seq.join(',')}`);
  predicted.forEach((yhat, t) => {
    const ok = yhat === seq[t + 1];
    if (ok) correct++;
    console.log(`  X=${seq[t]} y=${seq[t + 1]} yhat=${yhat}${ok ? '' : '   <- wrong'}`);
  });
}
console.log(`\n${correct} of 8 next values right (seed ${seed}, ${epochs} epochs, ${(2 * 4 * epochs).toLocaleString('en')} updates in ${seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`}).`);
console.log(correct === 8
  ? 'Both conflicting transitions (2->3 and 2->4) are right: the LSTM remembered the first value for three steps.'
  : 'Not all 8: this happens on about half of all seeds in this setting (see the comment at the top); try another --seed.');

function drawProgress(epoch: number, total: number, loss: number): void {
  const width = 30;
  const filled = Math.round((width * epoch) / total);
  const bar = '='.repeat(Math.max(filled - 1, 0)) + (epoch < total ? '>' : '=') + '.'.repeat(width - filled);
  process.stderr.write(`\repoch ${String(epoch).padStart(3)}/${total} [${bar}] - loss: ${loss.toFixed(4)}`);
}
