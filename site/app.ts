/**
 * The BPTT lab's page: it starts the worker (site/worker.ts), sends play / pause / step, and draws
 * each report: the loss and accuracy curves, and for the chosen sequence heat maps of the gates,
 * the cell and hidden states per step (forward), dL/dh_t and dL/dc_t per step (backward: the
 * gradient flowing back through the forget gates), and the gradient norm per step.
 * Plain DOM and canvas; no framework, nothing loaded from elsewhere.
 */
import type { LabReport, ProblemName } from './lab.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const worker = new Worker('worker.js');
const losses: number[] = [];
const accuracies: number[] = [];

worker.onmessage = ({ data }: MessageEvent<LabReport | { error: string }>) => {
  if ('error' in data) {
    $('status').textContent = `error: ${data.error}`;
    return;
  }
  losses.push(data.loss);
  accuracies.push(data.accuracy);
  $('status').textContent = `${data.problem}: step ${data.epoch}, loss ${data.loss.toFixed(4)}, accuracy ${(100 * data.accuracy).toFixed(1)}%`;
  curve($('loss') as HTMLCanvasElement, [losses, accuracies], ['#c33', '#36c']);
  heat($('gates') as HTMLCanvasElement, data.trace.gates, 0, 1);
  heat($('cell') as HTMLCanvasElement, data.trace.cell);
  heat($('hidden') as HTMLCanvasElement, data.trace.hidden);
  heat($('dhidden') as HTMLCanvasElement, data.trace.dHidden);
  heat($('dcell') as HTMLCanvasElement, data.trace.dCell);
  bars($('norms') as HTMLCanvasElement, data.trace.gradientNorms);
  const table = $('predictions');
  table.replaceChildren(...data.predictions.map((p) => {
    const row = document.createElement('tr');
    for (const cell of [p.input, String(p.wanted), String(p.predicted), p.wanted === p.predicted ? 'right' : 'wrong']) {
      const td = document.createElement('td');
      td.textContent = cell;
      row.append(td);
    }
    row.className = p.wanted === p.predicted ? 'right' : 'wrong';
    return row;
  }));
};

function start(): void {
  losses.length = 0;
  accuracies.length = 0;
  worker.postMessage({ type: 'start', problem: ($('problem') as HTMLSelectElement).value as ProblemName, seed: Number(($('seed') as HTMLInputElement).value) || 1 });
}
$('start').addEventListener('click', start);
$('play').addEventListener('click', () => worker.postMessage({ type: 'play' }));
$('pause').addEventListener('click', () => worker.postMessage({ type: 'pause' }));
$('step').addEventListener('click', () => worker.postMessage({ type: 'step' }));
start();

/** A heat map: one column per time step, one row per unit; blue below 0, red above (scaled to the largest magnitude, or to [lo, hi]). */
function heat(canvas: HTMLCanvasElement, steps: number[][], lo?: number, hi?: number): void {
  const T = steps.length;
  const n = steps[0]?.length ?? 0;
  canvas.dataset.steps = String(T);
  canvas.dataset.rows = String(n);
  const context = canvas.getContext('2d');
  if (context === null || T === 0 || n === 0) return;
  const w = canvas.width / T;
  const h = canvas.height / n;
  const scale = lo === undefined ? Math.max(1e-12, ...steps.flat().map(Math.abs)) : 1;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) {
      const v = lo === undefined ? steps[t][j] / scale : (steps[t][j] - lo) / (hi! - lo) * 2 - 1;
      const c = Math.round(255 * (1 - Math.min(1, Math.abs(v))));
      context.fillStyle = v >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
      context.fillRect(t * w, j * h, Math.ceil(w), Math.ceil(h));
    }
  }
}

/** Curves over the steps so far, each scaled to its own largest value. */
function curve(canvas: HTMLCanvasElement, series: number[][], colours: string[]): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.clearRect(0, 0, canvas.width, canvas.height);
  series.forEach((values, k) => {
    const top = Math.max(1e-12, ...values);
    context.strokeStyle = colours[k];
    context.beginPath();
    values.forEach((v, i) => {
      const x = (i / Math.max(1, values.length - 1)) * canvas.width;
      const y = canvas.height * (1 - v / top);
      if (i === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.stroke();
  });
}

/** Bars, one per step, scaled to the largest. */
function bars(canvas: HTMLCanvasElement, values: number[]): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const top = Math.max(1e-12, ...values);
  const w = canvas.width / values.length;
  context.fillStyle = '#555';
  values.forEach((v, t) => context.fillRect(t * w + 1, canvas.height * (1 - v / top), w - 2, canvas.height * (v / top)));
}
