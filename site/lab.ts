/**
 * The BPTT lab's training side, independent of any page: a small problem, its model, one epoch
 * per step, and after every step a trace of the model on one chosen sequence (RNN.recordTraces):
 * the LSTM's gates, cell and hidden states per step, and what flows back into each step. The page
 * (site/app.ts) runs it in a Web Worker (site/worker.ts); test/site.test.ts runs it in Node.
 *
 * Problems (the tutorials, ../shared/tutorials.md):
 *   echo       T3: remember the value at step 2 of 5 (10 values, one-hot); LSTM(25), softmax.
 *   t1-bptt    T1 framed for full BPTT: 3,0,1,2,3 and 4,0,1,2,4, each as one 4-step sequence.
 *   t4-stateless / t4-stateful   T4's 0,1,0,2: two samples of one step (it cannot learn it), or
 *              stateful batch 1 (it can): the predictions show which.
 */
import { Adam, Dense, LSTM, Sequential, oneHot, setSeed, type LSTMOptions, type Tensor } from '../src/index.js';

export type ProblemName = 'echo' | 't1-bptt' | 't4-stateless' | 't4-stateful';
export const PROBLEMS: ProblemName[] = ['echo', 't1-bptt', 't4-stateless', 't4-stateful'];

/** What one step of the lab reports. */
export interface LabReport {
  problem: ProblemName;
  epoch: number;
  loss: number;
  accuracy: number;
  /** The chosen sequence's trace, each a row per time step: [T][units] or [T][4·units]. */
  trace: {
    gates: number[][]; //        [T][4H]  i | f | g | o after activation
    cell: number[][]; //         [T][H]   c_t
    hidden: number[][]; //       [T][H]   h_t
    dHidden: number[][]; //      [T][H]   dL/dh_t
    dCell: number[][]; //        [T][H]   dL/dc_t arriving through the forget gate of step t+1
    gradientNorms: number[]; //  [T]      ‖dL/dh_t‖
    stepGradientNorms: number[]; // [T]   ‖step t's share of the recurrent kernel's gradient‖
  };
  /** What the model predicts for the problem's sequences, and what was wanted (T4: stateless fails, stateful learns). */
  predictions: { input: string; wanted: number; predicted: number }[];
}

interface Problem {
  model: Sequential;
  lstm: LSTM;
  train(): { loss: number; accuracy: number };
  /** x, y of the sequence to trace, as computeGradients takes them. */
  traced: { x: Tensor; y: Tensor };
  predictions(): LabReport['predictions'];
}

function lstmModel(units: number, lstmOptions: Omit<LSTMOptions, 'units'>, outputs: number, activation: 'softmax' | 'sigmoid'): { model: Sequential; lstm: LSTM } {
  const lstm = new LSTM({ units, ...lstmOptions });
  const model = new Sequential([lstm, new Dense({ units: outputs, activation })]);
  model.compile({ optimizer: new Adam(), loss: activation === 'softmax' ? 'categoricalCrossentropy' : 'binaryCrossentropy', metrics: ['accuracy'] });
  return { model, lstm };
}

const argmaxRow = (row: ArrayLike<number>): number => Array.prototype.indexOf.call(row, Math.max(...Array.from(row)));

function makeProblem(name: ProblemName, seed: number): Problem {
  setSeed(seed);
  if (name === 'echo') {
    const { model, lstm } = lstmModel(25, { inputShape: [5, 10] }, 10, 'softmax');
    let counter = seed * 7919;
    // A linear congruential stream of the lab's own (its high bits: the low ones of an LCG are poor).
    const next = (): number => ((counter = (Math.imul(counter, 1103515245) + 12345) >>> 0) >>> 16) % 10;
    const draw = (): number[] => Array.from({ length: 5 }, next);
    const sample = (n: number) => {
      const sequences = Array.from({ length: n }, draw);
      return { x: oneHot(sequences, 10), y: oneHot(sequences.map((s) => s[2]), 10), sequences };
    };
    const shown = sample(1);
    const test = sample(100);
    return {
      model, lstm, traced: { x: shown.x, y: shown.y },
      train: () => {
        const { x, y } = sample(200);
        const { history } = model.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 });
        return { loss: history.loss[0], accuracy: history.accuracy[0] };
      },
      predictions: () => {
        const predicted = model.predictClasses(test.x).data;
        return test.sequences.slice(0, 8).map((s, i) => ({ input: s.join(' '), wanted: s[2], predicted: predicted[i] }));
      },
    };
  }
  if (name === 't1-bptt') {
    const { model, lstm } = lstmModel(20, { inputShape: [4, 5], returnSequences: true }, 5, 'sigmoid');
    const sequences = [[3, 0, 1, 2, 3], [4, 0, 1, 2, 4]];
    const x = oneHot(sequences.map((s) => s.slice(0, 4)), 5);
    const y = oneHot(sequences.map((s) => s.slice(1)), 5);
    return {
      model, lstm, traced: { x: oneHot([sequences[0].slice(0, 4)], 5), y: oneHot([sequences[0].slice(1)], 5) },
      train: () => {
        const { history } = model.fit(x, y, { epochs: 10, batchSize: 1, shuffle: false, verbose: 0 });
        return { loss: history.loss[9], accuracy: history.accuracy[9] };
      },
      predictions: () => {
        const p = model.predict(x);
        return sequences.flatMap((s, b) => [0, 1, 2, 3].map((t) => ({ input: `${s.slice(0, t + 1).join(',')}`, wanted: s[t + 1], predicted: argmaxRow(p.data.subarray((b * 4 + t) * 5, (b * 4 + t + 1) * 5)) })));
      },
    };
  }
  // T4: 0 -> 1, then 0 -> 2
  const stateful = name === 't4-stateful';
  const { model, lstm } = lstmModel(20, stateful ? { batchInputShape: [1, 1, 3], stateful: true } : { inputShape: [1, 3] }, 3, 'sigmoid');
  const x = oneHot([[0], [0]], 3);
  const y = oneHot([1, 2], 3);
  return {
    model, lstm, traced: { x: oneHot([[0]], 3), y: oneHot([1], 3) },
    train: () => {
      let loss = 0;
      let accuracy = 0;
      for (let e = 0; e < 10; e++) {
        const { history } = model.fit(x, y, { epochs: 1, batchSize: stateful ? 1 : 2, shuffle: false, verbose: 0 });
        model.resetStates();
        loss = history.loss[0];
        accuracy = history.accuracy[0];
      }
      return { loss, accuracy };
    },
    predictions: () => {
      const p = model.predict(x, { batchSize: stateful ? 1 : 2 });
      model.resetStates();
      return [1, 2].map((wanted, i) => ({ input: i === 0 ? 'first 0' : 'second 0', wanted, predicted: argmaxRow(p.data.subarray(i * 3, i * 3 + 3)) }));
    },
  };
}

const rows = (t: Tensor, sample = 0): number[][] => {
  const [, T, n] = t.shape as [number, number, number];
  return Array.from({ length: T }, (_, s) => Array.from(t.data.subarray((sample * T + s) * n, (sample * T + s + 1) * n)));
};
const norm = (values: ArrayLike<number>): number => Math.sqrt(Array.from(values).reduce((a, v) => a + v * v, 0));

/** A lab: one problem, stepped one epoch (or a few) at a time. */
export class Lab {
  private problem: Problem;
  private epoch = 0;

  constructor(readonly name: ProblemName, seed = 1) {
    this.problem = makeProblem(name, seed);
  }

  /** Train one step and report it, with the trace of the chosen sequence. */
  step(): LabReport {
    const { loss, accuracy } = this.problem.train();
    this.epoch++;
    return { problem: this.name, epoch: this.epoch, loss, accuracy, trace: this.trace(), predictions: this.problem.predictions() };
  }

  /** The trace of one forward and backward of the chosen sequence (nothing is updated: computeGradients). */
  private trace(): LabReport['trace'] {
    const { model, lstm, traced } = this.problem;
    const states = lstm.getStates();
    lstm.recordTraces = true;
    try {
      if (lstm.stateful) lstm.resetStates(); // the traced sequence starts from zero state
      model.computeGradients(traced.x, traced.y);
    } finally {
      lstm.recordTraces = false;
      if (lstm.stateful) lstm.resetStates(states);
    }
    const trace = lstm.getTrace();
    return {
      gates: rows(trace.gates),
      cell: rows(trace.states[1]).slice(1),
      hidden: rows(trace.states[0]).slice(1),
      dHidden: rows(trace.stateGradients![0]),
      dCell: rows(trace.stateGradients![1]),
      gradientNorms: trace.gradientNorms!,
      stepGradientNorms: trace.stepGradients!.map((shares) => norm(shares[1].data)),
    };
  }
}
