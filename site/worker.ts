/**
 * The lab's Web Worker: trains the chosen problem (site/lab.ts) off the page's thread and posts
 * one report per step. Messages in: { type: 'start', problem, seed }, { type: 'play' },
 * { type: 'pause' }, { type: 'step' }. Out: a LabReport per step, or { error }.
 */
import { Lab, type ProblemName } from './lab.js';

type Command = { type: 'start'; problem: ProblemName; seed?: number } | { type: 'play' } | { type: 'pause' } | { type: 'step' };
const scope = self as unknown as { postMessage(message: unknown): void; onmessage: ((event: { data: Command }) => void) | null };

let lab: Lab | undefined;
let playing = false;

function stepOnce(): void {
  if (lab === undefined) return;
  try {
    scope.postMessage(lab.step());
  } catch (error) {
    playing = false;
    scope.postMessage({ error: (error as Error).message });
  }
}

/** While playing: one step, then a turn of the worker's event loop (so 'pause' is heard), then the next. */
function run(): void {
  if (!playing) return;
  stepOnce();
  setTimeout(run, 0);
}

scope.onmessage = ({ data }) => {
  if (data.type === 'start') {
    lab = new Lab(data.problem, data.seed ?? 1);
    playing = false;
    stepOnce();
  } else if (data.type === 'play') {
    if (!playing) {
      playing = true;
      run();
    }
  } else if (data.type === 'pause') {
    playing = false;
  } else if (data.type === 'step') {
    playing = false;
    stepOnce();
  }
};
