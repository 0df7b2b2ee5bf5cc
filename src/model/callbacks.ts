/**
 * Training callbacks, as in Keras / TF.js: objects with any of the hooks below, passed to
 * `fit(x, y, { callbacks })` either as one object or as an array.
 *
 *   model.fit(x, y, { callbacks: { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) } });
 *   model.fit(x, y, { callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true })] });
 *
 * A callback stops training by setting `model.stopTraining = true`.
 */
import { checkBoolean, checkNonNegativeNumber, checkOptions } from '../base/options.js';
import { describe, type Tensor } from '../tensor/tensor.js';

/** Epoch or batch figures, under Keras' key names: loss, accuracy, val_loss, val_accuracy, ... */
export type Logs = Record<string, number>;

/** What a callback may see and do to the model being trained. */
export interface TrainingModel {
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
}

export interface Callback {
  setModel?(model: TrainingModel): void;
  onTrainBegin?(logs: Logs): void;
  onTrainEnd?(logs: Logs): void;
  onEpochBegin?(epoch: number, logs: Logs): void;
  onEpochEnd?(epoch: number, logs: Logs): void;
  onBatchBegin?(batch: number, logs: Logs): void;
  onBatchEnd?(batch: number, logs: Logs): void;
}

/** The hooks a callback may have, in the order fit calls them. */
const HOOKS = ['setModel', 'onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/**
 * fit's `callbacks` option checked before training starts (nothing has run yet): one callback or
 * an array of them; each an object whose hooks (own or inherited) are functions, with no unknown
 * `on...` key (a misspelt hook would never run); an EarlyStopping must monitor one of the epoch's
 * figures, `logKeys` (loss, every metric, and their val_ forms when fit validates).
 */
export function checkCallbacks(callbacks: unknown, logKeys: readonly string[], where = 'fit'): Callback[] {
  if (callbacks === undefined) return [];
  const list: unknown[] = Array.isArray(callbacks) ? callbacks : [callbacks];
  list.forEach((cb, i) => {
    const argument = `${where}: callbacks${Array.isArray(callbacks) ? `[${i}]` : ''}`;
    if (cb === null || typeof cb !== 'object') throw new TypeError(`${argument}: expected an object with onEpochEnd, onBatchEnd, ... hooks, got ${describe(cb)}`);
    for (const key of Object.keys(cb)) {
      if (key.startsWith('on') && !(HOOKS as readonly string[]).includes(key)) {
        throw new TypeError(`${argument}: unknown hook '${key}'; expected one of ${HOOKS.slice(1).join(', ')}`);
      }
    }
    for (const hook of HOOKS) {
      const value = (cb as Record<string, unknown>)[hook];
      if (value !== undefined && typeof value !== 'function') {
        throw new TypeError(`${argument}.${hook}: expected a function, got ${describe(value)}`);
      }
    }
    if (cb instanceof EarlyStopping && !logKeys.includes(cb.monitor)) {
      throw new Error(`${argument}: EarlyStopping monitors '${cb.monitor}', which is not among the epoch's figures (${logKeys.join(', ')})${cb.monitor.startsWith('val_') ? '; pass validationData or validationSplit to monitor val_* figures' : ''}`);
    }
  });
  return list as Callback[];
}

export interface EarlyStoppingOptions {
  /** The figure watched. Default 'val_loss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** 'min', 'max', or 'auto' (max for names containing 'acc' in any case, as 'val_categoricalAccuracy', else min). Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** A value the monitored figure must beat to count as an improvement at all. */
  baseline?: number;
  /** On stopping, put back the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
}

/** Keras' EarlyStopping: stop when the monitored figure has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  /** The epoch (0-based) at which training was stopped, or 0 if it ran to the end. */
  stoppedEpoch = 0;
  /** The epoch whose figures were best. */
  bestEpoch = 0;

  private model: TrainingModel | undefined;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Tensor[] | undefined;

  constructor(options: EarlyStoppingOptions = {}) {
    const opts = checkOptions(options, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights'], 'EarlyStopping');
    if (opts.monitor !== undefined && (typeof opts.monitor !== 'string' || opts.monitor.length === 0)) {
      throw new TypeError(`EarlyStopping: monitor: expected the name of an epoch figure such as 'val_loss' or 'loss', got ${describe(opts.monitor)}`);
    }
    this.monitor = opts.monitor ?? 'val_loss';
    this.minDelta = Math.abs(opts.minDelta === undefined ? 0 : checkNonNegativeNumber(opts.minDelta, 'EarlyStopping: minDelta'));
    this.patience = opts.patience === undefined ? 0 : checkNonNegativeNumber(opts.patience, 'EarlyStopping: patience');
    if (!Number.isInteger(this.patience)) throw new RangeError(`EarlyStopping: patience: expected a whole number of epochs, got ${this.patience}`);
    const mode = opts.mode ?? 'auto';
    if (mode !== 'min' && mode !== 'max' && mode !== 'auto') {
      throw new TypeError(`EarlyStopping: mode must be 'min', 'max' or 'auto', got ${JSON.stringify(mode)}`);
    }
    this.mode = mode === 'auto' ? (this.monitor.toLowerCase().includes('acc') ? 'max' : 'min') : mode;
    if (opts.baseline !== undefined && (typeof opts.baseline !== 'number' || !Number.isFinite(opts.baseline))) {
      throw new TypeError(`EarlyStopping: baseline: expected a finite number, got ${describe(opts.baseline)}`);
    }
    this.baseline = opts.baseline;
    this.restoreBestWeights = opts.restoreBestWeights === undefined ? false : checkBoolean(opts.restoreBestWeights, 'EarlyStopping: restoreBestWeights');
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.bestWeights = undefined;
    // Keras starts from the baseline when one is given, so it must be beaten to count.
    const start = this.baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.best = this.mode === 'min' ? start : -start;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new Error(`EarlyStopping: the monitored figure '${this.monitor}' is not among the epoch's figures (${Object.keys(logs).join(', ')}); pass validationData or validationSplit to monitor val_* figures`);
    }
    // Compare in "smaller is better" form: for mode 'max', negate.
    const current = this.mode === 'min' ? value : -value;
    if (current < this.best - this.minDelta) {
      this.best = current;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model?.getWeights();
      return;
    }
    this.wait++;
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      if (this.model) {
        this.model.stopTraining = true;
        if (this.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
      }
    }
  }
}
