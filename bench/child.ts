/**
 * One benchmark run in a process of its own, so that resident memory is per engine and one
 * engine's JIT state or heap never touches another's. Started by bench/run.ts as
 *
 *   node --expose-gc --import tsx bench/child.ts <engine> <workload> <run> <seed> <quick 0|1>
 *
 * and prints one line `RESULT {json}` (a RunResult) on stdout. <engine> `lstm-ts/gru` (and the
 * other kinds of engines/lstm-ts.ts) runs W3 or W4 with that recurrent layer (bench/cells.ts).
 */
import { RECURRENT_KINDS, runLstmTs, type RecurrentKind } from './engines/lstm-ts.js';
import { MiB, RssSampler, type RunResult, type WorkloadId } from './workloads.js';

const [engine, workload, runText, seedText, quickText] = process.argv.slice(2);
const run = Number(runText);
const seed = Number(seedText);
const quick = quickText === '1';
const sampler = new RssSampler();
sampler.sample();

let result: RunResult;
if (engine === 'lstm-ts') {
  result = runLstmTs(workload as WorkloadId, run, seed, quick, sampler);
} else if (engine.startsWith('lstm-ts/') && (RECURRENT_KINDS as readonly string[]).includes(engine.slice(8))) {
  // W3, W4 with another recurrent layer in the LSTM's place (bench/cells.ts)
  result = runLstmTs(workload as WorkloadId, run, seed, quick, sampler, engine.slice(8) as RecurrentKind);
} else if (engine === 'tfjs-cpu' || engine === 'tfjs-wasm') {
  // Loaded only here, so the lstm-ts process never has TF.js in memory.
  const { runTfjs } = await import('./engines/tfjs.js');
  result = await runTfjs(engine === 'tfjs-cpu' ? 'cpu' : 'wasm', workload as WorkloadId, run, seed, quick, sampler);
} else if (engine === 'brainjs') {
  const { runBrainJs } = await import('./engines/brainjs.js');
  result = runBrainJs(workload as WorkloadId, run, seed, quick, sampler);
} else {
  throw new Error(`bench/child.ts: unknown engine ${JSON.stringify(engine)}`);
}
sampler.sample();
result.peakRssMiB = sampler.peak / MiB;
result.maxRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
