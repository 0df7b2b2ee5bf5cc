/**
 * Tutorial T2: learning the alphabet, six framings of one problem.
 *
 *   npm run tutorial:t2                          # all framings, seed 1 (f takes a few minutes)
 *   npm run tutorial:t2 -- --only T2c,T2e --seed 4
 *   npm run tutorial:t2 -- --only T2f,T2f-masked --epochs 100
 *
 * Letters A..Z are the integers 0..25. Unless a framing says otherwise, an input is the integer
 * divided by 26 (one feature), a target is one-hot over 26 classes, and the model is LSTM then
 * Dense(26, softmax), categorical cross-entropy, Adam. The six framings:
 *
 *   T2a  one char -> next char, [25, 1, 1], LSTM(32), 500 epochs, batch 1    poor (by design)
 *   T2b  3-char window as 3 FEATURES, [23, 1, 3]                             poor (by design)
 *   T2c  3-char window as 3 TIME STEPS, [23, 3, 1]                           100%
 *   T2d  one char, the whole data set as one batch of 25, LSTM(16), 5000 epochs   100%
 *   T2e  one char, stateful LSTM(50), batch 1, state carried across the alphabet  100%, writes A..Z
 *   T2f  1000 random substrings of 1..5 letters, pre-padded to 5 -> next letter   high 90s %
 *   T2f-masked  T2f with 0 reserved for padding (letters 1..26) and padded steps masked
 *
 * What it teaches: the same data can be framed so that an LSTM has nothing to remember (a, b:
 * each sample is one step), so that it learns a lookup from a short window (c), or so that the
 * order of the samples carries the sequence (e, stateful). Accuracy is on the training data, as
 * in the original: these are demonstrations of framing, not of generalisation.
 *
 * Accuracy during training vs after: the accuracy in `fit`'s history averages the batches of an
 * epoch, each measured BEFORE that batch's update (as Keras does); `evaluate` measures the model
 * as it is after training. They differ most when the model is still changing fast (see T2a).
 *
 * Gates: the original ran on Keras 2.0–2.2, whose LSTM defaulted to hard-sigmoid gates; lstm-ts
 * (like Keras 2.3+) defaults to sigmoid, which these examples use. --hard-sigmoid switches.
 */
import { Adam, Dense, LSTM, Sequential, oneHot, padSequences, setSeed, tensor, type Tensor } from '../src/index.js';
import { DataRandom, percent, pyList, runIfMain, type Experiment, type Outcome, type RunOptions } from './common.js';

// --- Data shared by every framing: the alphabet and its letters as integers.
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const letter = (i: number): string => alphabet[i];

/** Every window of `length` consecutive letters (as integers) and the letter that follows it. */
function windows(length: number): { dataX: number[][]; dataY: number[] } {
  const dataX: number[][] = [];
  const dataY: number[] = [];
  for (let i = 0; i + length < alphabet.length; i++) {
    dataX.push(Array.from({ length }, (_, k) => i + k));
    dataY.push(i + length);
  }
  return { dataX, dataY };
}

/** The integers divided by 26, as a tensor of the given [samples, timeSteps, features] shape. */
function normalised(dataX: number[][], shape: number[]): Tensor {
  return tensor(dataX.flat().map((v) => v / alphabet.length), shape);
}

/** LSTM(units) then Dense(26, softmax), compiled as every framing is. */
function alphabetModel(o: RunOptions, lstm: { units: number; inputShape?: number[]; batchInputShape?: number[]; stateful?: boolean; maskValue?: number }): Sequential {
  const model = new Sequential([
    new LSTM({ ...lstm, recurrentActivation: o.recurrentActivation }),
    new Dense({ units: alphabet.length, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** "Model Accuracy: 96.00%" (say) and every pattern's prediction, as the original prints them. */
function report(o: RunOptions, model: Sequential, X: Tensor, y: Tensor, dataX: number[][], epochs: number): Outcome {
  const { accuracy } = model.evaluate(X, y);
  o.log(`Model Accuracy: ${percent(accuracy)}`);
  const predicted = model.predictClasses(X).toArray() as number[];
  dataX.forEach((pattern, i) => {
    const wrong = predicted[i] !== pattern[pattern.length - 1] + 1;
    o.log(`${pyList(pattern.map(letter))} -> ${letter(predicted[i])}${wrong ? '   <- wrong' : ''}`);
  });
  return { accuracy, text: percent(accuracy), asOriginal: accuracy === 1, training: `${epochs} epochs` };
}

// ---------------------------------------------------------------------------------------------
// (a) One char -> next char. Poor by design: each sample is a single time step, so the LSTM's
// memory is never used; it is a small feed-forward net asked to map 25 points of [0, 1) to 25
// classes, neighbours 1/26 apart, from 500 passes over 25 samples. It gets most of them and
// confuses neighbours (the original reports about 84%).
function framingA(o: RunOptions): Outcome {
  setSeed(o.seed);
  const { dataX, dataY } = windows(1);
  const X = normalised(dataX, [dataX.length, 1, 1]); // [25, 1, 1]
  const y = oneHot(dataY, 26); //                        [25, 26]
  const model = alphabetModel(o, { units: 32, inputShape: [1, 1] });
  const epochs = o.epochs ?? 500;
  const history = model.fit(X, y, { epochs, batchSize: 1, verbose: 0 }); // shuffled, the Keras default
  o.log(`accuracy during the last epoch (its batches, each before its update): ${percent(history.history.accuracy[epochs - 1])}`);
  const outcome = report(o, model, X, y, dataX, epochs);
  return { ...outcome, asOriginal: outcome.accuracy < 1 }; // the original's point: it falls short of 100%
}

// (b) A 3-char window as 3 FEATURES of one time step. Still poor by design: the window is
// presented as one input vector, not as a sequence, so again nothing is remembered; it is a
// lookup from 3 numbers, no better framed than (a) (the original: a small lift at best).
function framingB(o: RunOptions): Outcome {
  setSeed(o.seed);
  const { dataX, dataY } = windows(3);
  const X = normalised(dataX, [dataX.length, 1, 3]); // [23, 1, 3]: one step of 3 features
  const y = oneHot(dataY, 26);
  const model = alphabetModel(o, { units: 32, inputShape: [1, 3] });
  const epochs = o.epochs ?? 500;
  model.fit(X, y, { epochs, batchSize: 1, verbose: 0 });
  const outcome = report(o, model, X, y, dataX, epochs);
  return { ...outcome, asOriginal: outcome.accuracy < 1 };
}

// (c) A 3-char window as 3 TIME STEPS of one feature: now the LSTM runs over a sequence and gets
// every window right (the original: 100%). But it learned 23 mappings of three letters to one,
// not the alphabet: it cannot continue from a single letter.
function framingC(o: RunOptions): Outcome {
  setSeed(o.seed);
  const { dataX, dataY } = windows(3);
  const X = normalised(dataX, [dataX.length, 3, 1]); // [23, 3, 1]: three steps of 1 feature
  const y = oneHot(dataY, 26);
  const model = alphabetModel(o, { units: 32, inputShape: [3, 1] });
  const epochs = o.epochs ?? 500;
  model.fit(X, y, { epochs, batchSize: 1, verbose: 0 });
  return report(o, model, X, y, dataX, epochs);
}

// (d) One char per sample, the whole data set as ONE batch of 25, 5000 epochs, no shuffling.
// Users took the 100% as state flowing from sample to sample inside the batch. It does not:
// the samples of a batch run side by side, each from a zero state (stateless), so this is (a)
// with one exact gradient per update and 5000 updates. The many epochs, not memory, give 100%.
function framingD(o: RunOptions): Outcome {
  setSeed(o.seed);
  const { dataX, dataY } = windows(1);
  const X = normalised(dataX, [dataX.length, 1, 1]); // [25, 1, 1]
  const y = oneHot(dataY, 26);
  const model = alphabetModel(o, { units: 16, inputShape: [1, 1] });
  const epochs = o.epochs ?? 5000;
  model.fit(X, y, { epochs, batchSize: dataX.length, shuffle: false, verbose: 0 });
  return report(o, model, X, y, dataX, epochs);
}

// (e) One char per sample, STATEFUL, batch 1, the samples in alphabet order: the state carried
// from sample to sample is the memory, and the model learns the sequence itself. Seeded with A
// it writes the alphabet by feeding each prediction back; started cold from K it does not know
// where it is, and falls back to the start of the alphabet (predicts B), as in the original.
// (A stateful model's batch size is fixed by batchInputShape; the number of samples must be a
// multiple of it: predict and evaluate run with that batch size too, and refuse any other.)
function framingE(o: RunOptions): Outcome {
  setSeed(o.seed);
  const { dataX, dataY } = windows(1);
  const X = normalised(dataX, [dataX.length, 1, 1]); // [25, 1, 1]
  const y = oneHot(dataY, 26);
  const model = alphabetModel(o, { units: 50, batchInputShape: [1, 1, 1], stateful: true });
  const epochs = o.epochs ?? 300;
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.fit(X, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
    model.resetStates(); // each epoch starts the alphabet from a fresh state
  }
  const { accuracy } = model.evaluate(X, y, { batchSize: 1 });
  model.resetStates();
  o.log(`Model Accuracy: ${percent(accuracy)}`);

  // Seeded with A, each prediction is the next input.
  const generated = [0];
  for (let i = 0; i < alphabet.length - 1; i++) {
    const current = generated[generated.length - 1];
    const next = model.predictClasses(tensor([[[current / alphabet.length]]])).data[0];
    o.log(`${letter(current)} -> ${letter(next)}`);
    generated.push(next);
  }
  model.resetStates();
  const writesAlphabet = generated.map(letter).join('') === alphabet;

  // A cold start from K: five steps, as the original.
  o.log('New start:  K');
  let current = alphabet.indexOf('K');
  let fromK = -1;
  for (let i = 0; i < 5; i++) {
    const next = model.predictClasses(tensor([[[current / alphabet.length]]])).data[0];
    if (i === 0) fromK = next;
    o.log(`${letter(current)} -> ${letter(next)}`);
    current = next;
  }
  model.resetStates();
  o.log(writesAlphabet ? 'Seeded with A it wrote the whole alphabet.' : `Seeded with A it wrote ${generated.map(letter).join('')}.`);
  return {
    accuracy,
    text: percent(accuracy),
    asOriginal: accuracy === 1 && writesAlphabet,
    training: `${epochs} epochs`,
    checks: { 'writes A..Z from A': writesAlphabet, 'cold start K -> B': fromK === 1 },
  };
}

// (f) Variable-length input: 1000 random substrings of 1..5 letters, each -> the next letter,
// pre-padded with 0 to length 5. The original pads with 0, which is also the letter A (0 / 26):
// a padded step looks exactly like an A. T2f-masked is the fix tutorials.md asks for: letters
// are 1..26 so 0 means padding only, and the LSTM masks (skips) the padded steps, so a padded
// sequence is computed exactly as the unpadded one would be.
// What the fix does not change is what there is to learn. The collision never changed a target
// (a padded sequence equals the same sequence with a leading A, and that has the same next
// letter), so masking removes an ambiguity in the input, not a wrong label. Measured over 90
// paired seeds (docs/tutorial-results.md), the masked model scores as well on average (within
// noise), a little lower on a typical seed, and never ends badly, where the original framing
// sometimes does (below 95% on 7 of the 90 seeds, down to 77.5%). Every wrong sample of the
// masked model is a one-letter substring: framing (a) again, one step of one scalar to 26
// classes. The unmasked model reaches that step from the state its four padding steps leave
// behind, which only one-letter inputs start from: through h·U and f⊙c it is a learned offset
// for them alone. The masked model starts them from zero, with the bias every step shares.
// docs/tutorials.md has the figures, and a start-marker variant that did not help.
// Masking's other worth: a padded sequence is computed exactly as the unpadded one.
function variableLengthData(seed: number): { dataX: number[][]; dataY: number[] } {
  const random = new DataRandom(seed);
  const dataX: number[][] = [];
  const dataY: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const start = random.randint(0, alphabet.length - 2); //                    numpy.random.randint(24)
    const end = random.randint(start, Math.min(start + 5, alphabet.length - 1)); // randint(start, min(start+5, 25))
    dataX.push(Array.from({ length: end - start + 1 }, (_, k) => start + k));
    dataY.push(end + 1);
  }
  return { dataX, dataY };
}

function framingF(o: RunOptions, masked: boolean): Outcome {
  setSeed(o.seed);
  const { dataX, dataY } = variableLengthData(o.seed); // the same data with and without masking
  // Original: pad_sequences(dataX, maxlen=5) then / 26, so padding and A are both 0.
  // Fixed:    letters 1..26, then / 26; padding 0 is nothing else, and maskValue 0 skips it.
  const code = masked ? (v: number) => (v + 1) / alphabet.length : (v: number) => v / alphabet.length;
  const X = padSequences(dataX.map((s) => s.map(code)), { maxlen: 5 }).reshape([dataX.length, 5, 1]); // [1000, 5, 1]
  const y = oneHot(dataY, 26);
  const model = alphabetModel(o, masked ? { units: 32, inputShape: [5, 1], maskValue: 0 } : { units: 32, inputShape: [5, 1] });
  const epochs = o.epochs ?? 500;
  model.fit(X, y, { epochs, batchSize: 1, verbose: 0 });

  const { accuracy } = model.evaluate(X, y);
  o.log(`Model Accuracy: ${percent(accuracy)}`);
  // 20 random patterns, as the original.
  const random = new DataRandom(o.seed + 1000);
  const predicted = model.predictClasses(X).toArray() as number[];
  for (let i = 0; i < 20; i++) {
    const k = random.randint(0, dataX.length);
    o.log(`${pyList(dataX[k].map(letter))} -> ${letter(predicted[k])}${predicted[k] === dataY[k] ? '' : '   <- wrong'}`);
  }
  // Beyond the original: the distinct patterns it gets wrong (the 1000 samples repeat about a
  // hundred distinct substrings, so one wrong pattern costs about 1%).
  const wrong = new Map<string, number>();
  dataX.forEach((pattern, k) => {
    if (predicted[k] === dataY[k]) return;
    const key = `${pyList(pattern.map(letter))} -> ${letter(predicted[k])}`;
    wrong.set(key, (wrong.get(key) ?? 0) + 1);
  });
  const distinct = new Set(dataX.map((p) => p.join(','))).size;
  const wrongLine = `${wrong.size} of ${distinct} distinct patterns wrong${wrong.size > 0 ? `: ${[...wrong].map(([key, n]) => `${key} (${n}×)`).join(', ')}` : ''}`;
  o.log(wrongLine);
  const wrongByLength = [0, 0, 0, 0, 0];
  dataX.forEach((pattern, k) => {
    if (predicted[k] !== dataY[k]) wrongByLength[pattern.length - 1]++;
  });
  return { accuracy, text: percent(accuracy), asOriginal: accuracy >= 0.95, training: `${epochs} epochs, ${(1000 * epochs).toLocaleString('en')} updates`, details: wrongLine, wrongByLength };
}

export const experiments: Experiment[] = [
  { id: 'T2a', tutorial: 'T2', title: '(a) one char -> next char, [25, 1, 1], LSTM(32)', original: 'poor: about 84%, many wrong', goal: 'below 100% (a poor framing)', seeds: 5, run: framingA },
  { id: 'T2b', tutorial: 'T2', title: '(b) 3-char window as 3 features, [23, 1, 3]', original: 'a small lift over (a) at best', goal: 'below 100% (a poor framing)', seeds: 5, run: framingB },
  { id: 'T2c', tutorial: 'T2', title: '(c) 3-char window as 3 time steps, [23, 3, 1]', original: '100%', goal: '100%', seeds: 5, run: framingC },
  { id: 'T2d', tutorial: 'T2', title: '(d) one char, whole data set as one batch, LSTM(16), 5000 epochs', original: '100%', goal: '100%', seeds: 5, run: framingD },
  { id: 'T2e', tutorial: 'T2', title: '(e) one char, stateful LSTM(50), batch 1', original: '100%; writes A..Z from A; K -> B', goal: '100% and A..Z', seeds: 5, run: framingE },
  { id: 'T2f', tutorial: 'T2', title: '(f) variable length, pre-padded with 0 (= A), [1000, 5, 1]', original: 'high 90s %', goal: '>= 95%', seeds: 90, run: (o) => framingF(o, false) },
  { id: 'T2f-masked', tutorial: 'T2', title: '(f) fixed: letters 1..26, padding 0 masked (maskValue 0)', original: 'high 90s % (the issue: at least T2f)', goal: '>= 95%', seeds: 90, run: (o) => framingF(o, true) },
];

runIfMain(import.meta.url, experiments, [['T2f', 'T2f-masked']]);
