/**
 * Tutorial T3: the echo problem, a vanilla LSTM reading a sequence and answering once.
 *
 *   npm run tutorial:t3                       # the tutorial and both extensions, seed 1
 *   npm run tutorial:t3 -- --only T3 --seed 2
 *
 * A sequence of 5 random values from 0..9, one-hot, is the input [1, 5, 10]; the target is the
 * value at time step index 2, one-hot [1, 10]. The model is never told which step matters: it
 * must learn to keep the third value in its cell state through the two steps after it, and let
 * everything else go. LSTM(25) on [5, 10], Dense(10, softmax), categorical cross-entropy, Adam,
 * 10,000 updates each on one freshly generated sample (so it never sees a sample twice), then
 * accuracy on 100 new random sequences.
 *
 * What it teaches: the many-to-one "vanilla" LSTM, the parameter count (the summary shows 3600
 * for the LSTM = 4·(25·(10 + 25) + 25), 260 for the Dense, 3,860 in all), and that a model
 * trained on endless fresh data is measured on fresh data.
 *
 * How often 100/100 comes out (measured while writing this, the tutorial's settings): on 34 of
 * seeds 1..50 (the others 93 to 99, mostly 99); TF.js 4.22, from its own initial weights on the
 * same sequences, on 36 of them (the report runs both over these 50 seeds). The settings the
 * original ran with (Keras 2.0: hardSigmoid gates, Adam epsilon 1e-8) do not change that:
 * hardSigmoid 30 of 50; epsilon 1e-8 the same score as 1e-7 on every one of the 50 seeds, with
 * either gate. TF.js 4.22 (cpu backend, configured as current Keras) started from the same weights
 * and fed the same sequences scored exactly what lstm-ts scored on each of seeds 1..10. After
 * 10,000 updates the models differ in how well they learned the echo (on 10,000 further sequences,
 * seeds 1..10 scored 97.8% to 100%), and 100 test sequences sample that: a model right on a
 * fraction p of all sequences shows 100/100 with probability about p^100. So this example also
 * measures 10,000 more sequences. The tutorial report runs TF.js beside it on the same sequences
 * (examples/peers/t3-tfjs.ts), from its own initial weights and, as a control, this example from
 * TF.js's initial weights.
 *
 * Two of the extensions the original suggests:
 *   T3-sgd   the same, trained with SGD, learning rate 0.02 and momentum 0.9, chosen by a sweep
 *            run while writing this example (10,000 updates each): with momentum 0.9, rates 0.01
 *            to 0.03 reached 100/100 on each of seeds 1..10; from 0.05 up some of seeds 1..6 fell
 *            short, and from 0.3 up it stayed at chance. Without momentum, Keras' default rate
 *            0.01 stayed near a third right on seeds 1..3, while 0.1 reached 100/100: momentum 0.9
 *            multiplies the effective step by about 10.
 *   T3-hard  longer sequences, more values, another index: length 10, 20 values, output index 7.
 *            The tutorial's LSTM(25), with 20,000 updates instead of 10,000 (with 10,000 it was
 *            still far from 100/100 on seeds 1 and 2): the value to keep is now one of 20, read
 *            among 10 steps.
 *
 * --epochs N sets the number of updates: in the original each update is literally one
 * `model.fit(X, y, epochs=1)` call on one new sample.
 */
import { Adam, Dense, LSTM, SGD, Sequential, oneHot, setSeed, type Optimizer, type Tensor } from '../src/index.js';
import { DataRandom, runIfMain, type Experiment, type Outcome, type RunOptions } from './common.js';

export interface EchoSetting {
  length: number; //     time steps per sequence
  features: number; //   number of distinct values (one-hot width)
  outIndex: number; //   the step whose value is the target
  units: number;
  updates: number;
  optimizer: () => Optimizer;
}

// --- Data: one random sequence, one-hot; the target is the value at outIndex.
/** One random sequence of `s.length` values from 0..features-1 (the order of draws the peer run repeats). */
export function echoSequence(random: DataRandom, s: EchoSetting): number[] {
  return Array.from({ length: s.length }, () => random.randint(0, s.features));
}

function generateExample(random: DataRandom, s: EchoSetting): { sequence: number[]; X: Tensor; y: Tensor } {
  const sequence = echoSequence(random, s);
  return {
    sequence,
    X: oneHot([sequence], s.features), //             [1, length, features]
    y: oneHot([sequence[s.outIndex]], s.features), // [1, features]
  };
}

/** The tutorial for one seed; `initialWeights` (in getWeights() order) replace the drawn ones (examples/peers). */
export function echo(o: RunOptions, s: EchoSetting, initialWeights?: Tensor[]): Outcome {
  setSeed(o.seed);
  const random = new DataRandom(o.seed);

  // --- Model: many-to-one, only the last h goes to the Dense.
  const model = new Sequential([
    new LSTM({ units: s.units, inputShape: [s.length, s.features], recurrentActivation: o.recurrentActivation }),
    new Dense({ units: s.features, activation: 'softmax' }),
  ]);
  if (initialWeights !== undefined) model.setWeights(initialWeights);
  model.compile({ optimizer: s.optimizer(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  model.summary(o.log);

  // --- Training: every update on a sample never seen before.
  const updates = o.epochs ?? s.updates;
  for (let i = 0; i < updates; i++) {
    const { X, y } = generateExample(random, s);
    model.fit(X, y, { epochs: 1, verbose: 0 });
  }

  // --- Evaluation: 100 new sequences.
  let correct = 0;
  for (let i = 0; i < 100; i++) {
    const { X, sequence } = generateExample(random, s);
    if (model.predictClasses(X).data[0] === sequence[s.outIndex]) correct++;
  }
  const accuracy = correct / 100;
  o.log(`Accuracy: ${(accuracy * 100).toFixed(6)}`);
  // One prediction on new data, printed as the original does.
  const { X, sequence } = generateExample(random, s);
  o.log(`Sequence: [${sequence.join(', ')}]`);
  o.log(`Expected: [${sequence[s.outIndex]}]`);
  o.log(`Predicted: [${model.predictClasses(X).data[0]}]`);

  // Beyond the original: the same model on 10,000 further new sequences, its accuracy p measured
  // closely. 100/100 on 100 sequences is then a draw that comes out with probability about p^100
  // (p = 99% gives 0.37): it says more about the 100 sequences drawn than about the model.
  const more = Array.from({ length: 10_000 }, () => generateExample(random, s).sequence);
  const predicted = model.predictClasses(oneHot(more, s.features)).data;
  const right = more.filter((sequence, k) => predicted[k] === sequence[s.outIndex]).length;
  const p = right / more.length;
  o.log(`Accuracy on 10,000 more new sequences: ${(p * 100).toFixed(2)}% (so 100/100 on 100 has probability about ${(p ** 100).toFixed(2)})`);
  return echoOutcome(correct, p, updates);
}

/** What a run reports: `correct` of the 100 test sequences, accuracy p on the 10,000 further ones. */
export function echoOutcome(correct: number, p: number, updates: number): Outcome {
  return {
    accuracy: correct / 100,
    text: `${correct}/100`,
    asOriginal: correct === 100,
    training: `${updates.toLocaleString('en')} updates`,
    checks: { 'at least 98/100': correct >= 98 },
    details: `10,000 more new sequences: ${(p * 100).toFixed(2)}%, so P(100/100) ≈ ${(p ** 100).toFixed(2)}`,
    heldOutAccuracy: p,
  };
}

export const tutorial: EchoSetting = { length: 5, features: 10, outIndex: 2, units: 25, updates: 10_000, optimizer: () => new Adam() };
const withSgd: EchoSetting = { ...tutorial, optimizer: () => new SGD({ learningRate: 0.02, momentum: 0.9 }) };
const harder: EchoSetting = { length: 10, features: 20, outIndex: 7, units: 25, updates: 20_000, optimizer: () => new Adam() };

export const experiments: Experiment[] = [
  { id: 'T3', tutorial: 'T3', title: 'echo: length 5, 10 values, index 2; LSTM(25), Adam', original: '100% on 100 new sequences', goal: '100/100', seeds: 50, run: (o) => echo(o, tutorial) },
  { id: 'T3-sgd', tutorial: 'T3', title: 'extension: SGD, learning rate 0.02, momentum 0.9', original: '(suggested extension, no figure)', goal: '100/100', seeds: 5, run: (o) => echo(o, withSgd) },
  { id: 'T3-hard', tutorial: 'T3', title: 'extension: length 10, 20 values, index 7; LSTM(25), 20,000 updates', original: '(suggested extension, no figure)', goal: '100/100', seeds: 5, run: (o) => echo(o, harder) },
];

runIfMain(import.meta.url, experiments);
