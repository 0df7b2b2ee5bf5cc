/**
 * The book's lesson 7, the Stacked LSTM: damped sine waves.
 *
 *   npm run book:l07
 *   npm run book:l07 -- --seed 3 --samples 2000
 *
 * Data: damped sine waves 0.5 + 0.5·sin(2πt / period)·e^(−decay·t) with a random period in
 * [10, 20] and decay in [0.01, 0.1]: from the first 50 values, predict the next 5.
 * Model, as the book: LSTM(20, returnSequences) -> LSTM(20) -> Dense(5) (linear), mean absolute
 * error, Adam. Training as the book: 10,000 sequences, one epoch, batch 10; then the mean absolute
 * error on 100 new sequences.
 */
import { Adam, Dense, LSTM, Sequential, setSeed, tensor } from '../../src/index.js';
import { dataStream } from './l10-bidirectional.js';

export function dampedSine(next: () => number, length = 50, output = 5): { x: number[]; y: number[] } {
  const period = 10 + next() * 10;
  const decay = 0.01 + next() * 0.09;
  const wave = Array.from({ length: length + output }, (_, t) => 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / period) * Math.exp(-decay * t));
  return { x: wave.slice(0, length), y: wave.slice(length) };
}

export function runLesson7(seed: number, samples = 10_000, log: (line: string) => void = () => {}): { samples: number; testMae: number } {
  setSeed(seed);
  const model = new Sequential([
    new LSTM({ units: 20, returnSequences: true, inputShape: [50, 1] }),
    new LSTM({ units: 20 }),
    new Dense({ units: 5 }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'meanAbsoluteError' });
  const next = dataStream(seed * 7919 + 7);
  const data = Array.from({ length: samples }, () => dampedSine(next));
  model.fit(tensor(data.flatMap((d) => d.x), [samples, 50, 1]), tensor(data.flatMap((d) => d.y), [samples, 5]), { epochs: 1, batchSize: 10, shuffle: false, verbose: 0 });
  const test = Array.from({ length: 100 }, () => dampedSine(next));
  const { loss } = model.evaluate(tensor(test.flatMap((d) => d.x), [100, 50, 1]), tensor(test.flatMap((d) => d.y), [100, 5]));
  log(`${samples} sequences, one epoch: mean absolute error ${loss.toFixed(4)} on 100 new sequences`);
  return { samples, testMae: loss };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-3).join('/'))) {
  const arg = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  runLesson7(arg('seed', 1), arg('samples', 10_000), (line) => console.log(line));
}
