/**
 * Accuracy metrics. `metrics: ['accuracy']` (or 'acc') is chosen from the loss by the rule of
 * Keras 2.0–2.2, the Keras the tutorials ran on (and TF.js's rule):
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
 * accuracy whatever the loss, name it: 'binaryAccuracy', 'categoricalAccuracy' or
 * 'sparseCategoricalAccuracy' (or Keras' snake_case spellings); fit's history and evaluate report
 * it under the name given.
 *
 * Each returns the number of correct predictions and how many were counted, so a model can
 * average over batches weighted by their size (what Keras prints as the epoch's accuracy).
 */
import type { Tensor } from '../tensor/tensor.js';

export type AccuracyKind = 'binary' | 'categorical' | 'sparseCategorical';

export interface MetricCount {
  correct: number;
  total: number;
}

/** The metric registry: every name compile accepts, and the accuracy it names ('auto': chosen from the loss). */
const METRICS = new Map<string, AccuracyKind | 'auto'>();

/** Every metric name compile accepts, in registration order (a live list). */
export const METRIC_NAMES: readonly string[] = [];

/** Register metric names (camelCase and Keras' snake_case) for an accuracy; save / load and compile find them here. */
export function registerMetric(names: readonly string[], kind: AccuracyKind | 'auto'): void {
  for (const name of names) {
    if (!METRICS.has(name)) (METRIC_NAMES as string[]).push(name);
    METRICS.set(name, kind);
  }
}

// Each accuracy beside the code that counts it (countCorrect below).
registerMetric(['accuracy', 'acc'], 'auto');
registerMetric(['binaryAccuracy', 'binary_accuracy'], 'binary');
registerMetric(['categoricalAccuracy', 'categorical_accuracy'], 'categorical');
registerMetric(['sparseCategoricalAccuracy', 'sparse_categorical_accuracy'], 'sparseCategorical');

/** The accuracy `metric` names for a model trained with the loss `lossName` and `outputUnits` outputs; throws on an unknown name or one that cannot read the loss's targets. */
export function resolveAccuracy(metric: unknown, lossName: string, outputUnits: number): AccuracyKind {
  const named = typeof metric === 'string' ? METRICS.get(metric) : undefined;
  if (named === undefined) {
    throw new TypeError(`compile: unknown metric ${JSON.stringify(metric)}; expected one of ${METRIC_NAMES.map((n) => `'${n}'`).join(', ')}`);
  }
  if (named === 'auto') return chooseAccuracy(lossName, outputUnits);
  // Sparse targets are class indices, [..., 1]; the other accuracies compare targets shaped like the predictions.
  const sparseLoss = lossName === 'sparseCategoricalCrossentropy';
  if (sparseLoss !== (named === 'sparseCategorical') && (sparseLoss || isBuiltInDenseLoss(lossName))) {
    throw new TypeError(sparseLoss
      ? `compile: metric '${metric}' compares targets shaped like the predictions, but loss sparseCategoricalCrossentropy takes class indices; use 'sparseCategoricalAccuracy' (or 'accuracy')`
      : `compile: metric '${metric}' reads class indices as targets, but loss ${lossName} takes targets shaped like the predictions; use 'categoricalAccuracy' or 'binaryAccuracy' (or 'accuracy')`);
  }
  return named;
}

function isBuiltInDenseLoss(lossName: string): boolean {
  return lossName === 'categoricalCrossentropy' || lossName === 'binaryCrossentropy' || lossName === 'meanSquaredError';
}

function chooseAccuracy(lossName: string, outputUnits: number): AccuracyKind {
  if (lossName === 'binaryCrossentropy' || outputUnits === 1) return 'binary';
  if (lossName === 'sparseCategoricalCrossentropy') return 'sparseCategorical';
  return 'categorical';
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

function argmaxRow(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}
