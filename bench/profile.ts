/**
 * Where the time goes: runs one lstm-ts workload under `node --cpu-prof` and sorts the profile's
 * self time into GEMM, elementwise work, the optimizer, input checks and conversion, model
 * bookkeeping, allocation / GC, and the rest.
 *
 *   npx tsx bench/profile.ts W1            # full W1 (2000 updates)
 *   npx tsx bench/profile.ts W5 --quick    # W5 with one training step
 *   npx tsx bench/profile.ts W4 --json bench/results/profile-W4.json
 *   npx tsx bench/profile.ts W1 --md       # also bench/results/profile-W1.md, copied into bench/README.md
 *
 * The .cpuprofile file is kept in the system's temporary folder (its path is printed) for Chrome
 * DevTools or speedscope.
 * Categories are by source file (and by function for the layers, whose forward / backward also
 * hold input checks), and for WebAssembly by module (the products a kernel runs count as GEMM);
 * "(garbage collector)" is V8's own entry.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { includeInReadme } from './readme-include.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  endTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const workload = args[0] ?? 'W1';
const quick = args.includes('--quick');
const jsonIndex = args.indexOf('--json');
const jsonPath = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
const writeMarkdown = args.includes('--md');
const dir = path.join(os.tmpdir(), 'lstm-ts-profiles'); // large files: kept out of the repository
mkdirSync(dir, { recursive: true });

const before = new Set(readdirSync(dir));
const child = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', path.join(here, 'child.ts'), 'lstm-ts', workload, '0', '1', quick ? '1' : '0'], {
  cwd: path.resolve(here, '..'),
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (child.status !== 0) throw new Error(`profiled run failed with exit code ${child.status}`);
const file = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile') && !before.has(f))
  .map((f) => path.join(dir, f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
if (file === undefined) throw new Error('no .cpuprofile was written');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

// Only the timed part of the run counts (not start-up, module loading, model building or the
// final evaluation): the child reports it on the profile's clock.
const resultLine = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
const window = resultLine ? (JSON.parse(resultLine.slice(7)) as { windowUs?: [number, number] }).windowUs : undefined;
if (window === undefined) throw new Error('the profiled run did not report its timed window');

// Self time per node: each sample's time delta belongs to the node it hit.
const selfUs = new Map<number, number>();
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at < window[0] || at > window[1]) return;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
});
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// The WebAssembly modules, told apart by the functions each carries (every node of the profile,
// callers included, so a module's helpers are placed by the entry point above them).
const WASM_MODULES: [string, string[]][] = [
  ['GEMM', ['block']], //                                                                   gemm.wat
  ['optimizer update', ['adam']], //                                                        adam.wat
  ['WebAssembly step kernel (Dense, loss)', ['lstmForward', 'lstmBackward', 'sigmoidAll', 'sigmoid', 'softmaxRows', 'sigmoidCrossentropy', 'softmaxCrossentropy', 'binaryCorrect', 'categoricalCorrect', 'argmax', 'finite']], // step.wat
  ['WebAssembly LSTM kernel (cell passes, σ, tanh)', ['cellForward', 'cellBackward', 'exp2', 'sigmoid2', 'tanh2', 'tanhSeries2', 'load2', 'store2', 'load1', 'store1', 'activate']], // lstm.wat
];
const moduleOfUrl = new Map<string, string>();
for (const node of profile.nodes) {
  const { url, functionName } = node.callFrame;
  if (!url.startsWith('wasm://') || moduleOfUrl.has(url)) continue;
  const found = WASM_MODULES.find(([, names]) => names.includes(functionName));
  if (found) moduleOfUrl.set(url, found[0]);
}
// The matrix products a fused kernel runs itself (lstm.wat's and step.wat's float64 row loops) are GEMM too.
const WASM_PRODUCTS = new Set(['block', 'rowsAxpy', 'rowsDot', 'axpy64', 'dot64', 'product']);

function category(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') return 'runtime (idle, program)';
  if (url.includes('/src/tensor/gemm')) return 'GEMM';
  if (url.startsWith('wasm://')) return WASM_PRODUCTS.has(functionName) ? 'GEMM' : moduleOfUrl.get(url) ?? `WebAssembly (${functionName})`;
  if (url.includes('/src/optim/')) return 'optimizer update';
  if (url.includes('/src/tensor/elementwise') || url.includes('/src/losses/')) return 'elementwise (activations, loss)';
  if (url.includes('/src/layers/')) {
    return /check|toTensor|describe|validate/i.test(functionName) ? 'input checks and conversion' : 'layers: fused cell loops, copies, transposes';
  }
  if (url.includes('/src/tensor/tensor') || url.includes('/src/base/') || url.includes('/src/data/read')) return 'input checks and conversion';
  if (url.includes('/src/tensor/alloc')) return 'allocation';
  if (url.includes('/src/tensor/initializers') || url.includes('/src/tensor/random')) return 'weight initialisation';
  if (url.includes('/src/model/') || url.includes('/src/data/')) return 'model bookkeeping (fit, batches, metrics)';
  if (url.includes('/bench/')) return 'benchmark harness';
  if (url === '' && functionName === 'rss') return 'benchmark harness';
  if (url === '') return `V8 / native (${functionName})`;
  return 'other JavaScript (node, tsx)';
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const c = category(node.callFrame);
  if (c === 'runtime (idle, program)' && node.callFrame.functionName === '(idle)') continue;
  total += us;
  byCategory.set(c, (byCategory.get(c) ?? 0) + us);
  const where = node.callFrame.url ? node.callFrame.url.replace(/^.*\/(src|bench)\//, '$1/') : 'native';
  const key = `${node.callFrame.functionName || '(anonymous)'}  ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`${workload}${quick ? ' (quick)' : ''}: ${(total / 1000).toFixed(0)} ms of samples in the timed window of ${((window[1] - window[0]) / 1000).toFixed(0)} ms (idle excluded), profile ${file}`);
console.log('\nBy category (self time):');
const categories = [...byCategory].sort((a, b) => b[1] - a[1]);
for (const [c, us] of categories) console.log(`  ${fmt(us)}  ${c}`);
console.log('\nTop functions (self time):');
const functions = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25);
for (const [f, us] of functions) console.log(`  ${fmt(us)}  ${f}`);
console.log(`\nThe profiled run (profiling slows it): ${resultLine!.slice(7, 400)}`);
if (jsonPath) {
  writeFileSync(jsonPath, `${JSON.stringify({
    workload, quick, totalMs: total / 1000,
    categories: categories.map(([c, us]) => ({ category: c, ms: us / 1000, share: us / total })),
    functions: functions.map(([f, us]) => ({ function: f, ms: us / 1000, share: us / total })),
  }, null, 2)}\n`);
}

if (writeMarkdown) {
  const result = JSON.parse(resultLine!.slice(7)) as { updates?: number; stepMs?: number[] };
  const per = result.updates ? `${result.updates} updates` : `${result.stepMs?.length ?? 0} training step${result.stepMs?.length === 1 ? '' : 's'}`;
  const md: string[] = [];
  md.push(`<!-- Written by bench/profile.ts (npx tsx bench/profile.ts ${args.join(' ')}); do not edit by hand. -->`);
  md.push(`${workload}${quick ? ' (--quick)' : ''}, lstm-ts: self time in the timed part of the run (${per}; ${(total / 1000).toFixed(0)} ms of samples, profiler on, ${new Date().toISOString().slice(0, 10)}).`);
  md.push('');
  md.push('| category | ms | share |');
  md.push('|---|---:|---:|');
  for (const [c, us] of categories.filter(([, us]) => us / total >= 0.005)) md.push(`| ${c} | ${(us / 1000).toFixed(0)} | ${((100 * us) / total).toFixed(1)}% |`);
  md.push('');
  md.push('| function (self time) | file | ms | share |');
  md.push('|---|---|---:|---:|');
  for (const [f, us] of functions.slice(0, 12)) {
    const [name, file] = f.split(/\s{2,}/);
    md.push(`| \`${name}\` | ${file} | ${(us / 1000).toFixed(0)} | ${((100 * us) / total).toFixed(1)}% |`);
  }
  const text = `${md.join('\n')}\n`;
  writeFileSync(path.join(here, 'results', `profile-${workload}.md`), text);
  includeInReadme(path.join(here, 'README.md'), `profile-${workload}`, text);
}
