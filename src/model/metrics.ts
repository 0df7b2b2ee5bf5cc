/**
 * Metrics: figures reported during fit and by evaluate, never trained on. `metrics` takes any
 * number of them, each under the name given (fit's History key, its val_ form, evaluate's key):
 *
 *   model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae', 'mape'] });
 *
 * | names (camelCase, Keras' snake_case, Keras' class and short names)        | per row of [..., C]      |
 * |---------------------------------------------------------------------------|--------------------------|
 * | 'accuracy', 'acc'                                                         | the accuracy for the loss (below) |
 * | 'binaryAccuracy', 'binary_accuracy', 'BinaryAccuracy'                     | mean over C of [round(p) = t] |
 * | 'categoricalAccuracy', 'categorical_accuracy', 'CategoricalAccuracy'      | argmax p = argmax t      |
 * | 'sparseCategoricalAccuracy', 'sparse_categorical_accuracy', ...           | argmax p = t             |
 * | 'meanAbsoluteError', 'mean_absolute_error', 'mae', 'MAE', ...             | mean over C of \|p - t\| |
 * | 'meanSquaredError', 'mean_squared_error', 'mse', 'MSE', ...               | mean over C of (p - t)²  |
 * | 'meanAbsolutePercentageError', 'mean_absolute_percentage_error', 'mape', ... | 100 · mean over C of \|t - p\| / max(\|t\|, 1e-7) |
 *
 * Averaging, as Keras 3's MeanMetricWrapper: each metric is a sum over rows (samples, times time
 * steps for sequence outputs; only the unmasked steps when a mask reaches the output) and a count
 * of those rows, accumulated over the batches of an epoch (or of evaluate) and divided at the
 * end: the mean over every row seen. (The binary accuracy counts every element, which is the same
 * mean.) The loss itself is averaged by batch size, as Keras' loss tracker does.
 *
 * `'accuracy'` (or 'acc') is chosen from the loss by the rule of Keras 2.0–2.2, the Keras the
 * tutorials ran on (and TF.js's rule):
 *
 * | loss                              | 'accuracy' means            |
 * |-----------------------------------|-----------------------------|
 * | binaryCrossentropy, or 1 output   | binary accuracy (p > 0.5)   |
 * | sparseCategoricalCrossentropy     | sparse categorical accuracy |
 * | anything else                     | categorical accuracy        |
 *
 * Porting note: tf.keras 2.3+ and Keras 3 decide by the output's width instead: binary accuracy
 * only for a single output unit, so binary cross-entropy over several sigmoid units (tutorials T1
 * and T4) reports categorical accuracy there (checked against Keras 3.15). To get a particular
 * accuracy whatever the loss, name it.
 */
import type { Tensor } from '../tensor/tensor.js';

export type AccuracyKind = 'binary' | 'categorical' | 'sparseCategorical';
export type RegressionKind = 'meanAbsoluteError' | 'meanSquaredError' | 'meanAbsolutePercentageError';
export type MetricKind = AccuracyKind | RegressionKind;

export interface MetricCount {
  correct: number;
  total: number;
}

/** A metric as compile resolved it: the name given (its History key) and what it computes. */
export interface ResolvedMetric {
  readonly name: string;
  readonly kind: MetricKind;
  /** The accuracy, when the metric is one (the whole-model step counts it itself: fused-step.ts). */
  readonly accuracy: AccuracyKind | undefined;
}

/** A metric's sum over the rows of a batch and how many rows (elements, for the binary accuracy) it counted. */
export interface MetricSum {
  sum: number;
  count: number;
}

/** The metric registry: every name compile accepts, and what it names ('auto': the accuracy chosen from the loss). */
const METRICS = new Map<string, MetricKind | 'auto'>();

/** Every metric name compile accepts, in registration order (a live list). */
export const METRIC_NAMES: readonly string[] = [];

/** Register metric names (camelCase, Keras' snake_case and class names) for a metric; save / load and compile find them here. */
export function registerMetric(names: readonly string[], kind: MetricKind | 'auto'): void {
  for (const name of names) {
    if (!METRICS.has(name)) (METRIC_NAMES as string[]).push(name);
    METRICS.set(name, kind);
  }
}

// Each metric beside the code that computes it (countCorrect, regressionSum below).
registerMetric(['accuracy', 'acc'], 'auto');
registerMetric(['binaryAccuracy', 'binary_accuracy', 'BinaryAccuracy'], 'binary');
registerMetric(['categoricalAccuracy', 'categorical_accuracy', 'CategoricalAccuracy'], 'categorical');
registerMetric(['sparseCategoricalAccuracy', 'sparse_categorical_accuracy', 'SparseCategoricalAccuracy'], 'sparseCategorical');
registerMetric(['meanAbsoluteError', 'mean_absolute_error', 'mae', 'MAE', 'MeanAbsoluteError'], 'meanAbsoluteError');
registerMetric(['meanSquaredError', 'mean_squared_error', 'mse', 'MSE', 'MeanSquaredError'], 'meanSquaredError');
registerMetric(['meanAbsolutePercentageError', 'mean_absolute_percentage_error', 'mape', 'MAPE', 'MeanAbsolutePercentageError'], 'meanAbsolutePercentageError');

/**
 * The name Keras 3 reads for a metric name lstm-ts accepts: Keras' own spellings as given
 * ('mae', 'binary_accuracy', 'MeanAbsoluteError'), lstm-ts' camelCase ones in snake_case.
 */
export function kerasMetricName(name: string): string {
  return /^[a-z]/.test(name) && /[A-Z]/.test(name) ? name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() : name;
}

/**
 * compile's `metrics` resolved for a model trained with the loss `lossName` and `outputUnits`
 * outputs: an array of distinct registered names; throws on anything else, or on a metric that
 * cannot read the loss's targets. `where` begins the message ('compile').
 */
export function resolveMetrics(metrics: readonly unknown[], lossName: string, outputUnits: number, where = 'compile'): ResolvedMetric[] {
  const seen = new Set<unknown>();
  return metrics.map((metric) => {
    if (seen.has(metric)) throw new TypeError(`${where}: metrics names ${JSON.stringify(metric)} twice, got ${JSON.stringify(metrics)}; each metric is one History key, so name each once`);
    seen.add(metric);
    const kind = resolveMetric(metric, lossName, outputUnits, where);
    return { name: metric as string, kind, accuracy: isAccuracy(kind) ? kind : undefined };
  });
}

function isAccuracy(kind: MetricKind): kind is AccuracyKind {
  return kind === 'binary' || kind === 'categorical' || kind === 'sparseCategorical';
}

function resolveMetric(metric: unknown, lossName: string, outputUnits: number, where: string): MetricKind {
  const named = typeof metric === 'string' ? METRICS.get(metric) : undefined;
  if (named === undefined) {
    throw new TypeError(`${where}: unknown metric ${JSON.stringify(metric)}; expected one of ${METRIC_NAMES.map((n) => `'${n}'`).join(', ')}`);
  }
  if (named === 'auto') return chooseAccuracy(lossName, outputUnits);
  // Sparse targets are class indices, [..., 1]; every other metric compares targets shaped like the predictions.
  const sparseLoss = lossName === 'sparseCategoricalCrossentropy';
  if (sparseLoss !== (named === 'sparseCategorical') && (sparseLoss || isBuiltInDenseLoss(lossName))) {
    const instead = isAccuracy(named) ? "use 'sparseCategoricalAccuracy' (or 'accuracy')" : 'use categoricalCrossentropy with one-hot targets to report it';
    throw new TypeError(sparseLoss
      ? `${where}: metric '${metric}' compares targets shaped like the predictions, but loss sparseCategoricalCrossentropy takes class indices; ${instead}`
      : `${where}: metric '${metric}' reads class indices as targets, but loss ${lossName} takes targets shaped like the predictions; use 'categoricalAccuracy' or 'binaryAccuracy' (or 'accuracy')`);
  }
  return named;
}

/** The built-in losses whose targets are shaped like the predictions. */
const DENSE_LOSSES = new Set(['categoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError', 'meanAbsoluteError', 'huber', 'meanAbsolutePercentageError', 'logCosh']);

function isBuiltInDenseLoss(lossName: string): boolean {
  return DENSE_LOSSES.has(lossName);
}

function chooseAccuracy(lossName: string, outputUnits: number): AccuracyKind {
  if (lossName === 'binaryCrossentropy' || outputUnits === 1) return 'binary';
  if (lossName === 'sparseCategoricalCrossentropy') return 'sparseCategorical';
  return 'categorical';
}

/** A metric over a batch's predictions and targets (the unmasked rows only, when masked): its sum and count. */
export function metricSum(kind: MetricKind, yPred: Tensor, yTrue: Tensor): MetricSum {
  if (isAccuracy(kind)) {
    const { correct, total } = countCorrect(kind, yPred, yTrue);
    return { sum: correct, count: total };
  }
  return regressionSum(kind, yPred, yTrue);
}

export function countCorrect(kind: AccuracyKind, yPred: Tensor, yTrue: Tensor): MetricCount {
  const p = yPred.data;
  const t = yTrue.data;
  const width = yPred.shape[yPred.rank - 1];
  if (kind === 'binary') {
    // Every element counts: round(p) === t, with Keras' threshold 0.5.
    let correct = 0;
    for (let i = 0; i < p.length; i++) if ((p[i] > 0.5 ? 1 : 0) === t[i]) correct++;
    return { correct, total: p.length };
  }
  const rows = p.length / width;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const predicted = argmaxRow(p, r * width, width);
    const actual = kind === 'sparseCategorical' ? t[r] : argmaxRow(t, r * width, width);
    if (predicted === actual) correct++;
  }
  return { correct, total: rows };
}

/**
 * A regression metric: each row's mean over the last axis C (Keras' mean_absolute_error, ...
 * functions), summed over the R rows; the count is R. Targets shaped like the predictions.
 */
function regressionSum(kind: RegressionKind, yPred: Tensor, yTrue: Tensor): MetricSum {
  const p = yPred.data;
  const t = yTrue.data;
  const width = yPred.shape[yPred.rank - 1];
  const rows = p.length / width;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    let row = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      const diff = p[i] - t[i];
      if (kind === 'meanAbsoluteError') row += Math.abs(diff); // |p - t|
      else if (kind === 'meanSquaredError') row += diff * diff; // (p - t)²
      else row += Math.abs(diff) / Math.max(Math.abs(t[i]), 1e-7); // |t - p| / max(|t|, ε), ε = Keras' epsilon()
    }
    sum += (kind === 'meanAbsolutePercentageError' ? 100 : 1) * (row / width);
  }
  return { sum, count: rows };
}

function argmaxRow(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}
