/**
 * Sequential: a stack of layers trained end to end, with the Keras / TF.js model API.
 *
 *   const model = new Sequential([
 *     new LSTM({ units: 20, batchInputShape: [1, 1, 5], stateful: true }),
 *     new Dense({ units: 5, activation: 'sigmoid' }),
 *   ]);
 *   model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
 *   model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
 *   model.predict(x); model.evaluate(x, y); model.resetStates();
 *
 * One training step (trainStep) is: forward through every layer; the loss and its gradient
 * (the fused softmax / sigmoid form when the last layer's activation pairs with the loss);
 * backward through every layer in reverse; one optimizer update. The loss and the gradients are
 * checked before the update, and the update's result after it (optimizer.ts): a batch whose loss,
 * gradient or updated weights or optimizer slots would be non-finite is undone as a whole (the
 * weights, the optimizer's slots and iteration count, and the carried states are put back as
 * they were before that batch), and fit throws an Error naming the epoch and the batch, whose
 * `history` holds the History of the epochs completed before it (as Keras' TerminateOnNaN returns it).
 *
 * Stateful models follow Keras exactly: the batch size is fixed by the first layer's
 * `batchInputShape`, sample i of each batch continues from the final state of sample i of the
 * previous batch (within a fit call, across calls, and in predict / evaluate) until
 * `resetStates()`, and gradients stop at batch edges.
 *
 * Every public method checks its arguments before it changes anything: a call that throws
 * leaves weights, optimizer state and carried layer states as they were.
 */
import { checkBoolean, checkNonNegativeNumber, checkOptions, checkPositiveInteger } from '../base/options.js';
import { argmaxRows } from '../data/argmax.js';
import { batchIndices, gatherRows, rowRange, splitValidation } from '../data/batches.js';
import { Dense, backwardFromLogitsTrusted } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { backwardTrusted, forwardTrusted, outputMask, type Layer, type Shape } from '../layers/layer.js';
import { RNN } from '../layers/recurrent/rnn.js';
import { layerFromConfig } from '../layers/registry.js';
import { getLoss } from '../losses/index.js';
import type { LogitsLoss, Loss, LossResult } from '../losses/index.js';
import { kernelOf, type LossKernel } from '../losses/loss.js';
import { getOptimizer, type Optimizer } from '../optim/index.js';
import { applyValidatedGradients, checkParameters, claimOptimizer, type NonFiniteUpdate } from '../optim/optimizer.js';
import { allocate, checkDType, type DType, type TypedArray } from '../tensor/alloc.js';
import { Tensor, assertFinite, describe, firstNonFinite, formatShape, sameShape, sizeOf, toTensor, type TensorLike } from '../tensor/tensor.js';
import { checkCallbacks, type Callback, type Logs, type TrainingModel } from './callbacks.js';
import { metricSum, resolveMetrics, type ResolvedMetric } from './metrics.js';
import { ProgressBar, callbackProgressSink, defaultProgressSink, type ProgressSink } from './progress.js';
import { decodeModelJSON, modelToJSON, withContext, type SequentialJSON } from './serialization.js';
import { withoutDrawing } from '../tensor/initializers.js';
import { formatSummary } from './summary.js';
import { isThenable, runToEnd, runYielding, type Run, type RunStep } from './run.js';
import { FusedStep } from './fused-step.js';

export interface SequentialOptions {
  name?: string;
  /** Sets the dtype of every layer ('float64' for tight gradient checks). */
  dtype?: DType;
}

export interface CompileOptions {
  /** 'adam', 'sgd', 'rmsprop', or an optimizer instance. */
  optimizer: string | Optimizer;
  /** camelCase ('categoricalCrossentropy') or Keras snake_case ('categorical_crossentropy'), or a Loss. */
  loss: string | Loss;
  /**
   * Any number, each reported under the name given (History key, val_ key, evaluate key):
   * 'accuracy' (or 'acc'), the accuracy chosen from the loss as Keras 2.0–2.2 and TF.js choose it,
   * or one named: 'binaryAccuracy', 'categoricalAccuracy', 'sparseCategoricalAccuracy'; the
   * regression metrics 'mae', 'mse', 'mape' ('meanAbsoluteError', ...); Keras' snake_case and
   * class names too. See model/metrics.ts.
   */
  metrics?: string[];
}

export interface FitOptions {
  /** Index of the last epoch to train to (with initialEpoch, as Keras). Default 1. */
  epochs?: number;
  /** Default 32; a stateful model uses (and requires) its fixed batch size. */
  batchSize?: number;
  /** Shuffle the samples each epoch. Default true; false for stateful models, which refuse true. */
  shuffle?: boolean;
  /** 0 silent, 1 a live progress bar per epoch, 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  /** Held-out data evaluated after every epoch: [x, y]. */
  validationData?: [TensorLike, TensorLike];
  /** Hold out the last fraction of the samples (before any shuffling) for validation. */
  validationSplit?: number;
  /** Epoch to start at (for resuming); epochs counts from 0 to `epochs`. Default 0. */
  initialEpoch?: number;
  callbacks?: Callback | Callback[];
  /** Receives each finished progress line instead of stderr / console (for browsers). */
  onProgress?: (line: string) => void;
}

export interface EvaluateOptions {
  batchSize?: number;
  verbose?: 0 | 1;
}

export interface PredictOptions {
  batchSize?: number;
}

/** What `fit` returns, as Keras' History: per-epoch figures under Keras' key names (also `error.history` when fit stops on a non-finite batch). */
/** What the async forms take besides the synchronous ones' options. */
export interface AsyncOptions {
  /** Stops the call: fitAsync after the batch in progress, evaluateAsync / predictAsync before the next batch. */
  signal?: AbortSignal;
  /** The longest stretch of work between two turns of the event loop, in milliseconds. Default 8. */
  yieldEveryMs?: number;
}

/** fitAsync's options: fit's, with a `signal` and `yieldEveryMs`. */
export interface FitAsyncOptions extends FitOptions, AsyncOptions {}

export interface History {
  history: Record<string, number[]>;
  epoch: number[];
}

interface Compiled {
  loss: Loss;
  optimizer: Optimizer;
  /** The metric names as the user spelled them (history and evaluate use them as keys). */
  metricNames: string[];
  /** The metrics, in metricNames' order. */
  metrics: ResolvedMetric[];
  /** The stable loss on the last Dense layer's logits, when its activation pairs with the loss. */
  fused: LogitsLoss | undefined;
  /** The unchecked arithmetic of `fused` and of `loss.compute` (built-in losses; loss.ts), for the training step. */
  fusedKernel: LossKernel | undefined;
  lossKernel: LossKernel | undefined;
}

/** A batch's (or a whole evaluation's) loss, and each metric's sum over the rows and count of them (metrics.ts: MetricSum), in the compiled metrics' order. */
interface BatchFigures {
  loss: number;
  sums: number[];
  counts: number[];
}

/** The figures of a model compiled without metrics (shared: nothing writes to them). */
const NO_METRICS: number[] = [];

/** A batch's loss, its gradient (w.r.t. the logits when fromLogits), and the metrics' sums. */
type ScoredBatch = LossResult & BatchFigures & { fromLogits: boolean };

/** One layer's carried state kept before a training step: copies of its live tensors, or getStates' copies. */
interface KeptState {
  copies: TypedArray[];
  states: Tensor[] | undefined;
  /** The layer's live state tensors (a recurrent layer's `states`), asked once; copies are their copies. */
  live: Tensor[] | undefined;
}

/** Whether indices are consecutive ascending row numbers (a run, so the batch can be a view). */
function isRun(indices: Int32Array): boolean {
  for (let k = 1; k < indices.length; k++) if (indices[k] !== indices[0] + k) return false;
  return true;
}

const FIT_OPTION_KEYS = ['epochs', 'batchSize', 'shuffle', 'verbose', 'validationData', 'validationSplit', 'initialEpoch', 'callbacks', 'onProgress'];

let modelCounter = 0;

export class Sequential implements TrainingModel {
  readonly name: string;
  /** Set by a callback to stop `fit` after the current epoch. */
  stopTraining = false;
  private readonly layerList: Layer[] = [];
  private readonly modelDType: DType | undefined;
  private compiled: Compiled | undefined;
  /** The input shape the model was built for, batch axis first (null unless fixed). */
  private builtInputShape: Shape | undefined;
  /** The layers' live weight and gradient tensors, listed on the first training step. */
  private liveTensors: { params: Tensor[]; grads: Tensor[] } | undefined;
  /** The per-step mask of the last forward's output ([B, T], 1 = masked), if a layer masked steps and it reached the output. */
  private lastOutputMask: Uint8Array | undefined;
  /** The loss gradient of the last step, reused while the output's shape and dtype stay the same. */
  private lossGradient: Tensor | undefined;
  /** The whole-step kernel of the last training step, while it applies (fused-step.ts). */
  private fusedStep: FusedStep | undefined;
  /** The stateful layers' carried states before the running training step (keepStates); undefined: none seen yet. */
  private keptStates: KeptState[] | undefined;
  /** The built model's weight shapes, in getWeights() order (parameterShapes). */
  private builtParameterShapes: (readonly number[])[] | undefined;

  constructor(layers: Layer[] = [], options: SequentialOptions = {}) {
    const opts = checkOptions(options, ['name', 'dtype'], 'Sequential');
    if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name === '')) throw new TypeError(`Sequential: name: expected a non-empty string, got ${describe(opts.name)}`);
    this.name = typeof opts.name === 'string' ? opts.name : `sequential_${++modelCounter}`;
    this.modelDType = opts.dtype === undefined ? undefined : checkDType(opts.dtype, 'Sequential: dtype');
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: layers must be an array of layers, got ${describe(layers)}`);
    for (const layer of layers) this.add(layer);
  }

  /** Append a layer. With a model dtype, a layer of another dtype is rebuilt from its config in the model's dtype. */
  add(layer: Layer): void {
    if (layer === null || typeof layer !== 'object' || typeof (layer as Layer).forward !== 'function') {
      throw new TypeError(`Sequential.add: expected a layer (LSTM, Dense, ...), got ${describe(layer)}`);
    }
    if (this.builtInputShape !== undefined && this.compiled !== undefined) {
      throw new Error(`Sequential.add: the model ${this.name} is built and compiled; add every layer before compile`);
    }
    let added = layer;
    if (this.modelDType !== undefined && layer.dtype !== this.modelDType) {
      if (layer.built) {
        throw new TypeError(`Sequential.add: layer ${layer.name} is already built with dtype '${layer.dtype}'; the model's dtype is '${this.modelDType}'`);
      }
      const { className, config } = layer.getConfig();
      added = layerFromConfig({ className, config: { ...config, dtype: this.modelDType } });
    }
    if (this.layerList.length > 0 && added.dtype !== this.layerList[0].dtype) {
      throw new TypeError(`Sequential.add: layer ${added.name} has dtype '${added.dtype}' but the model's layers are '${this.layerList[0].dtype}'; give every layer the same dtype, or pass { dtype } to the Sequential`);
    }
    if (this.layerList.some((l) => l.name === added.name)) {
      throw new Error(`Sequential.add: the model already has a layer named '${added.name}'; layer names must be unique`);
    }
    // With the input shape known (declared by the first layer, or the model built), the layer is
    // built now, as Keras does: the weights are drawn at construction, in the order of the layers,
    // so they depend only on the seed and the order of construction, not on what is used first.
    const shape = this.builtInputShape ?? (this.layerList.length === 0 ? added.batchInputShape : undefined);
    if (shape !== undefined) this.buildLayer(added, this.layerList.length, this.outputShapeFor(shape));
    this.layerList.push(added);
    if (shape !== undefined) this.builtInputShape = [...shape];
  }

  get layers(): Layer[] {
    return [...this.layerList];
  }

  get dtype(): DType {
    return this.modelDType ?? this.layerList[0]?.dtype ?? 'float32';
  }

  get built(): boolean {
    return this.builtInputShape !== undefined;
  }

  /** True when any layer carries state between batches. */
  get stateful(): boolean {
    return this.layerList.some((l) => l.stateful);
  }

  /** The batch size fixed by the first layer's batchInputShape, if any. */
  get fixedBatchSize(): number | undefined {
    const declared = this.layerList[0]?.batchInputShape?.[0];
    return declared === null || declared === undefined ? undefined : declared;
  }

  get inputShape(): Shape | undefined {
    return this.builtInputShape === undefined ? undefined : [...this.builtInputShape];
  }

  get outputShape(): Shape {
    this.assertBuilt('outputShape');
    return this.outputShapeFor(this.builtInputShape!);
  }

  /**
   * Build every layer for an input shape (batch axis first). Called by fit / predict / summary;
   * with `inputShape` / `batchInputShape` on the first layer it needs no argument.
   */
  build(inputShape?: Shape): void {
    if (this.built) return;
    if (this.layerList.length === 0) throw new Error(`Sequential ${this.name}: the model has no layers; add some before building`);
    const shape = inputShape ?? this.layerList[0].batchInputShape;
    if (shape === undefined) {
      throw new Error(`Sequential ${this.name}: the input shape is unknown; give the first layer inputShape or batchInputShape, or call fit / predict with data first`);
    }
    // A layer refusing its input shape leaves the layers before it built (weights drawn): so every
    // layer after the first is tried on a copy first (the first draws nothing when it refuses).
    this.checkBuildable(shape, 1);
    let current: Shape = [...shape];
    this.layerList.forEach((layer, i) => {
      this.buildLayer(layer, i, current);
      current = layer.computeOutputShape(current);
    });
    this.builtInputShape = [...shape];
  }

  /** Build layer i (of this.layerList, or the one being added at i) for the shape arriving from below. */
  private buildLayer(layer: Layer, i: number, current: Shape): void {
    try {
      layer.build(current);
    } catch (error) {
      throw this.buildError(i, current, error, layer);
    }
  }

  /** The error of layer i (of this.layerList, or `layer` being added at i) refusing the input shape `current` in build. */
  private buildError(i: number, current: Shape, error: unknown, layer: Layer = this.layerList[i]): Error {
    const from = i === 0 ? 'the model input' : `layer ${this.layerList[i - 1].name}`;
    const hint = i > 0 && current.length === 2 && this.layerList[i - 1] instanceof RNN && layer instanceof RNN
      ? ` (set returnSequences: true on ${this.layerList[i - 1].name} to feed it a sequence)`
      : '';
    return new Error(`Sequential ${this.name}: layer ${layer.name} cannot take ${from} of shape ${formatShape(current)}${hint}: ${(error as Error).message}`);
  }

  /**
   * Throws what build(shape) would throw, building nothing and drawing no random number: layers
   * from index `from` on are built as copies of themselves with zeros initializers (which draw
   * nothing), so each refuses its shape with its own message; an already built layer is asked
   * itself (its build draws nothing). Returns the copies (undefined for a layer that is built, or
   * that cannot be copied from its config), whose weights have the shapes of the real ones.
   */
  private checkBuildable(shape: Shape, from = 0): (Layer | undefined)[] {
    let current: Shape = [...shape];
    return this.layerList.map((layer, i) => {
      let probe: Layer | undefined;
      try {
        if (i >= from) {
          if (layer.built) layer.build(current);
          else probe = probeOf(layer);
          if (probe !== undefined) withoutDrawing(() => probe!.build(current));
        }
        current = layer.computeOutputShape(current);
      } catch (error) {
        throw this.buildError(i, current, error);
      }
      return probe;
    });
  }

  /** The shapes of the weights, in getWeights() order: the built model's, or those it would build for this input shape. */
  private parameterShapes(inputShape: Shape): (readonly number[])[] {
    if (!this.built) return this.weightShapesFor(inputShape);
    // Fixed once built (fit calls this every call: W1 calls fit once per update), so listed once.
    return (this.builtParameterShapes ??= this.parametersAndGradients().params.map((w) => w.shape));
  }

  /** The shapes of the weights, in getWeights() order, the unbuilt model would have built for this input shape. */
  private weightShapesFor(inputShape: Shape): (readonly number[])[] {
    const probes = this.checkBuildable(inputShape);
    return this.layerList.flatMap((l, i) => (probes[i] ?? l).trainableWeights.map((w) => w.shape));
  }

  /** The input shape, batch axis first, the model is built for, or will be by data shaped like xs. */
  private inputShapeFor(xs: Tensor): Shape {
    return this.builtInputShape ?? this.layerList[0].batchInputShape ?? [null, ...xs.shape.slice(1)];
  }

  /** Choose the optimizer, the loss and the metrics. Recompiling keeps the weights. */
  compile(options: CompileOptions): void {
    const opts = checkOptions(options, ['optimizer', 'loss', 'metrics'], 'compile');
    if (opts.optimizer === undefined) throw new TypeError(`compile: optimizer is required ('adam', 'sgd', 'rmsprop', or an optimizer instance)`);
    if (opts.loss === undefined) throw new TypeError(`compile: loss is required (e.g. 'categoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError')`);
    const optimizer = getOptimizer(opts.optimizer as string | Optimizer);
    const loss = getLoss(opts.loss as string | Loss);
    const metrics = opts.metrics ?? [];
    if (!Array.isArray(metrics)) throw new TypeError(`compile: metrics must be an array such as ['accuracy'], got ${describe(metrics)}`);
    const last = this.layerList[this.layerList.length - 1];
    const fused = last instanceof Dense && loss.fromLogits ? loss.fromLogits(last.activation) : undefined;
    // The output's width picks Keras 2.0 / TF.js' 'accuracy' (binary for one unit): the built model's
    // output shape (so TimeDistributed(Dense) or a Dropout last count as what they output), else the config's.
    const width = this.built ? this.outputShape[this.outputShape.length - 1] : undefined;
    const units = typeof width === 'number' ? width : last instanceof Dense ? last.units : (last?.getConfig().config.units as number | undefined) ?? 0;
    const resolved = resolveMetrics(metrics, loss.name, units);
    // Last of the checks: an optimizer instance belongs to one model (its slots are made for one
    // list of weights); recompiling this model with its own optimizer is fine.
    optimizer[claimOptimizer](this, 'compile');
    this.compiled = {
      loss,
      optimizer,
      metricNames: resolved.map((m) => m.name),
      metrics: resolved,
      fused,
      fusedKernel: kernelOf(fused),
      lossKernel: kernelOf(loss.compute),
    };
  }

  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  get loss(): Loss | undefined {
    return this.compiled?.loss;
  }

  get metricNames(): string[] {
    return this.compiled ? [...this.compiled.metricNames] : [];
  }

  // ---------------------------------------------------------------------------------------------
  // Weights and state

  /** The live weight tensors of every layer, in getWeights() order (see Layer.trainableWeights on their storage). */
  get trainableWeights(): Tensor[] {
    this.assertBuilt('trainableWeights');
    return this.layerList.flatMap((l) => l.trainableWeights);
  }

  /** 'lstm_1/kernel', 'lstm_1/recurrent_kernel', ... in getWeights() order. */
  get weightNames(): string[] {
    this.assertBuilt('weightNames');
    return this.layerList.flatMap((l) => l.weightNames.map((n) => `${l.name}/${n}`));
  }

  /** Copies of every weight, layer by layer, each layer's in Keras order. */
  getWeights(): Tensor[] {
    this.assertBuilt('getWeights');
    return this.layerList.flatMap((l) => l.getWeights());
  }

  /**
   * Replace every weight; all shapes are checked before anything is written. An unbuilt model
   * whose first layer declares its input shape is checked against the weights it would be built
   * with (zeros-initialized copies of its layers) before it is built.
   */
  setWeights(weights: TensorLike[]): void {
    let expected: { names: string[]; shapes: (readonly number[])[]; dtypes: DType[] };
    if (!this.built && this.layerList.length > 0 && this.layerList[0].batchInputShape !== undefined) {
      const probes = this.checkBuildable(this.layerList[0].batchInputShape);
      const planned = this.layerList.map((l, i) => probes[i] ?? l);
      expected = {
        names: planned.flatMap((l) => l.weightNames.map((n) => `${l.name}/${n}`)),
        shapes: planned.flatMap((l) => l.trainableWeights.map((w) => w.shape)),
        dtypes: planned.flatMap((l) => l.trainableWeights.map((w) => w.dtype)),
      };
    } else {
      this.assertBuilt('setWeights');
      const live = this.trainableWeights;
      expected = { names: this.weightNames, shapes: live.map((w) => w.shape), dtypes: live.map((w) => w.dtype) };
    }
    const { names, shapes, dtypes } = expected;
    if (!Array.isArray(weights) || weights.length !== shapes.length) {
      throw new RangeError(`setWeights: expected ${shapes.length} weights (${names.join(', ')}), got ${Array.isArray(weights) ? weights.length : describe(weights)}`);
    }
    const incoming = weights.map((w, i) => {
      const t = toTensor(w, `setWeights: weight ${i} (${names[i]})`, dtypes[i]);
      if (t.rank !== shapes[i].length || t.shape.some((d, axis) => d !== shapes[i][axis])) {
        throw new RangeError(`setWeights: weight ${i} (${names[i]}) has shape ${formatShape(t.shape)}, expected ${formatShape(shapes[i])}`);
      }
      assertFinite(t, `setWeights: weight ${i} (${names[i]})`);
      return t;
    });
    this.assertBuilt('setWeights');
    const live = this.trainableWeights;
    incoming.forEach((t, i) => live[i].data.set(t.data));
  }

  countParams(): number {
    this.assertBuilt('countParams');
    return this.layerList.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Zero the carried state of every stateful layer. */
  resetStates(): void {
    for (const layer of this.layerList) layer.resetStates();
  }

  /** The Keras summary table; printed with `print` (console.log by default) and returned. */
  summary(print: ((line: string) => void) | null = console.log): string {
    if (print !== null && typeof print !== 'function') throw new TypeError(`summary: print: expected a function receiving each line, or null, got ${describe(print)}`);
    this.build();
    const rows = this.layerList.reduce<{ shape: Shape; rows: { name: string; type: string; outputShape: Shape; params: number }[] }>(
      (acc, layer) => {
        const outputShape = layer.computeOutputShape(acc.shape);
        acc.rows.push({ name: layer.name, type: layer.getConfig().className, outputShape, params: layer.countParams() });
        acc.shape = outputShape;
        return acc;
      },
      { shape: this.builtInputShape!, rows: [] },
    ).rows;
    const text = formatSummary(this.name, rows);
    if (print) for (const line of text.split('\n')) print(line);
    return text;
  }

  /** Architecture, compile settings, exact weights and optimizer state, as a JSON-ready object (src/model/serialization.ts). */
  toJSON(): SequentialJSON {
    this.build();
    const compiled = this.compiled;
    return modelToJSON({
      name: this.name,
      dtype: this.dtype,
      inputShape: this.builtInputShape!,
      layers: this.layerList,
      weightNames: this.weightNames,
      weights: this.trainableWeights,
      compile: compiled === undefined ? undefined : { loss: compiled.loss.name, metrics: [...compiled.metricNames], optimizer: compiled.optimizer },
    });
  }

  /**
   * Rebuild a model saved with toJSON (the object, or its JSON text). The whole document is
   * checked first (serialization.ts); a damaged or changed one is refused. The layers are then
   * built without drawing initial weights (no random number is consumed) and the saved ones set.
   */
  static fromJSON(json: unknown): Sequential {
    return withContext('Sequential.fromJSON', () => {
      const saved = decodeModelJSON(json);
      const model = withoutDrawing(() => {
        const m = new Sequential(saved.layers, { name: saved.name, dtype: saved.dtype });
        m.build(saved.inputShape);
        return m;
      });
      model.setWeights(saved.weights);
      if (saved.compile !== undefined) model.compile(saved.compile);
      return model;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Training

  /**
   * Train for `epochs` epochs. Returns Keras' History: `history.loss[e]` is the mean of the
   * batch losses of epoch e, each computed before its batch's update, weighted by batch size;
   * each metric (under its name as given in compile: `history.accuracy`, `history.mae`, ...) the
   * mean over every row (every unmasked step) of the epoch, as Keras' metrics average; `val_*`
   * figures are computed after the epoch's updates.
   *
   * Every argument is checked before anything changes (an unbuilt model stays unbuilt, no random
   * number is drawn). A batch whose loss, gradient or update would be non-finite stops training:
   * that batch is undone (weights, optimizer slots and iterations, carried states as after the
   * previous batch) and fit throws an Error naming the epoch and the batch, whose `history`
   * property holds the History of the epochs completed before it (as Keras' TerminateOnNaN
   * leaves it): `catch (e) { e.history.history.loss }`.
   */
  fit(x: TensorLike, y: TensorLike, options: FitOptions = {}): History {
    return runToEnd(this.fitRun(x, y, checkOptions(options, FIT_OPTION_KEYS, 'fit') as FitOptions, 'fit'));
  }

  /**
   * fit, giving the event loop a turn while it trains: the same options (plus `signal` and
   * `yieldEveryMs`), the same History and the same bits as fit. It yields at most every
   * `yieldEveryMs` milliseconds of training (default 8; never inside a batch), so timers,
   * input and (in a page) rendering go on, and awaits a callback that returns a promise before
   * going on. It stops after the batch in progress when `signal` aborts or a callback sets
   * `model.stopTraining = true` (the model is then as after that batch; the epoch's figures so
   * far are logged): stopTraining resolves with the History, an abort rejects with
   * `signal.reason` (an AbortError unless given), which carries the History as `history`.
   */
  async fitAsync(x: TensorLike, y: TensorLike, options: FitAsyncOptions = {}): Promise<History> {
    const opts = checkOptions(options, [...FIT_OPTION_KEYS, 'signal', 'yieldEveryMs'], 'fitAsync') as FitAsyncOptions;
    const { signal, yieldEveryMs, ...fitOptions } = opts;
    const sliceMs = checkYieldOptions(signal, yieldEveryMs, 'fitAsync');
    if (aborted(signal)) throw abortError(signal!);
    const history = await runYielding(this.fitRun(x, y, fitOptions, 'fitAsync'), { sliceMs, signal, stop: () => (this.stopTraining = true) });
    if (aborted(signal)) throw Object.assign(abortError(signal!), { history });
    return history;
  }

  /** fit's loop (run.ts): checks everything, then trains, yielding after every batch and with every callback's promise. */
  private *fitRun(x: TensorLike, y: TensorLike, opts: FitOptions, where: string): Run<History> {
    const compiled = this.assertCompiled(where);
    const epochs = opts.epochs === undefined ? 1 : checkPositiveInteger(opts.epochs, `${where}: epochs`);
    const initialEpoch = opts.initialEpoch === undefined ? 0 : checkNonNegativeNumber(opts.initialEpoch, `${where}: initialEpoch`);
    if (!Number.isInteger(initialEpoch)) throw new RangeError(`${where}: initialEpoch: expected a non-negative integer, got ${initialEpoch}`);
    const verbose = opts.verbose ?? 1;
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new RangeError(`${where}: verbose: expected 0, 1 or 2, got ${describe(verbose)}`);
    const shuffle = this.resolveShuffle(opts.shuffle);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
      throw new TypeError(`${where}: onProgress: expected a function receiving each progress line, got ${describe(opts.onProgress)}`);
    }

    let xs = this.readInput(x, 'x');
    const inputShape = this.inputShapeFor(xs); // the shape the model is (or will be) built for
    let ys = this.readTargets(y, xs, 'y');
    let validation: [Tensor, Tensor] | undefined;
    if (opts.validationData !== undefined && opts.validationSplit !== undefined && opts.validationSplit !== 0) {
      throw new TypeError(`${where}: give validationData or validationSplit, not both`);
    }
    if (opts.validationSplit !== undefined && opts.validationSplit !== 0) {
      // Keras: the last fraction of the samples, taken before any shuffling, as views.
      const split = splitValidation(xs, ys, opts.validationSplit);
      validation = [split.xVal!, split.yVal!];
      xs = split.x;
      ys = split.y;
    } else if (opts.validationData !== undefined) {
      if (!Array.isArray(opts.validationData) || opts.validationData.length !== 2) {
        throw new TypeError(`${where}: validationData: expected [xVal, yVal], got ${describe(opts.validationData)}`);
      }
      const xVal = this.readInput(opts.validationData[0], 'validationData[0]', inputShape);
      validation = [xVal, this.readTargets(opts.validationData[1], xVal, 'validationData[1]')];
    }
    const batchSize = this.resolveBatchSize(opts.batchSize, xs.shape[0], where, 'x');
    if (validation) this.resolveBatchSize(opts.batchSize, validation[0].shape[0], where, 'the validation data');
    const metricNames = compiled.metricNames;
    const m = metricNames.length;
    const logKeys = ['loss', ...metricNames];
    const callbacks = checkCallbacks(opts.callbacks, validation ? [...logKeys, ...logKeys.map((k) => `val_${k}`)] : logKeys, where);
    // The optimizer's slots (setState, or updates of other weights) must fit the weights: found before building.
    compiled.optimizer[checkParameters](this.parameterShapes(inputShape), `${where}: the optimizer`);

    // Everything is checked: from here on, the model is built (its weights drawn, if not yet) and trained.
    this.build(inputShape);
    // Only a verbose fit prints: a silent one never touches process.stderr (its first access costs milliseconds in Node).
    const sink: ProgressSink | undefined = verbose === 0 ? undefined : opts.onProgress ? callbackProgressSink(opts.onProgress) : defaultProgressSink();
    const history: History = { history: { loss: [] }, epoch: [] };
    for (const name of metricNames) history.history[name] = [];
    if (validation) {
      history.history.val_loss = [];
      for (const name of metricNames) history.history[`val_${name}`] = [];
    }
    this.stopTraining = false;
    for (const cb of callbacks) cb.setModel?.(this);
    for (const cb of callbacks) yield* awaited(cb.onTrainBegin?.({}));

    const n = xs.shape[0];
    const xBuffer: { t?: Tensor } = {};
    const yBuffer: { t?: Tensor } = {};
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      for (const cb of callbacks) yield* awaited(cb.onEpochBegin?.(epoch, {}));
      const batches = batchIndices(n, batchSize, shuffle);
      if (sink) sink.line(`Epoch ${epoch + 1}/${epochs}`);
      const bar = sink ? new ProgressBar(batches.length, sink, verbose as 1 | 2) : undefined;
      let lossSum = 0;
      let seen = 0;
      const sums = new Array<number>(m).fill(0); // each metric's sum over the epoch's rows so far, and their count
      const counts = new Array<number>(m).fill(0);
      for (let b = 0; b < batches.length; b++) {
        const indices = batches[b];
        // A batch of consecutive rows (every batch without shuffling; any batch of one sample) is read in place, else gathered into a copy.
        const inPlace = !shuffle || isRun(indices);
        const xb = inPlace ? xs : (xBuffer.t = gatherRows(xs, indices, 0, indices.length, xBuffer.t));
        const yb = inPlace ? ys : (yBuffer.t = gatherRows(ys, indices, 0, indices.length, yBuffer.t));
        for (const cb of callbacks) yield* awaited(cb.onBatchBegin?.(b, { batch: b, size: indices.length }));
        const figures = this.guardedStep(xb, yb, inPlace ? indices[0] : 0, indices.length, compiled, epoch + 1, b + 1, history);
        lossSum += figures.loss * indices.length;
        seen += indices.length;
        for (let k = 0; k < m; k++) {
          sums[k] += figures.sums[k];
          counts[k] += figures.counts[k];
        }
        if (bar) {
          const running: [string, number][] = [['loss', lossSum / seen]];
          for (let k = 0; k < m; k++) running.push([metricNames[k], sums[k] / counts[k]]);
          bar.update(b + 1, running);
        }
        if (callbacks.length > 0) {
          const batchLogs: Logs = { batch: b, size: indices.length, loss: figures.loss };
          for (let k = 0; k < m; k++) batchLogs[metricNames[k]] = figures.sums[k] / figures.counts[k];
          for (const cb of callbacks) yield* awaited(cb.onBatchEnd?.(b, batchLogs));
        }
        yield; // a batch boundary: fitAsync may give the event loop a turn here
        if (this.stopTraining) break; // as Keras 3 and TF.js: after the batch; the epoch's figures so far are logged
      }
      const logs: Logs = { loss: lossSum / seen };
      for (let k = 0; k < m; k++) logs[metricNames[k]] = sums[k] / counts[k];
      if (validation) {
        const val = this.evaluateTensors(validation[0], validation[1], batchSize, compiled);
        logs.val_loss = val.loss;
        for (let k = 0; k < m; k++) logs[`val_${metricNames[k]}`] = val.sums[k] / val.counts[k];
      }
      for (const key of Object.keys(history.history)) history.history[key].push(logs[key]);
      history.epoch.push(epoch);
      bar?.finish(Object.entries(logs));
      for (const cb of callbacks) yield* awaited(cb.onEpochEnd?.(epoch, logs));
      if (this.stopTraining) break;
    }
    for (const cb of callbacks) yield* awaited(cb.onTrainEnd?.({}));
    return history;
  }

  /** One update on exactly this batch. Returns the batch's loss before the update. */
  trainOnBatch(x: TensorLike, y: TensorLike): number {
    const compiled = this.assertCompiled('trainOnBatch');
    const xs = this.readInput(x, 'x');
    const ys = this.readTargets(y, xs, 'y');
    this.checkStatefulBatch(xs.shape[0], 'trainOnBatch', 'x');
    this.checkOneStatefulBatch(xs, 'trainOnBatch');
    compiled.optimizer[checkParameters](this.parameterShapes(this.inputShapeFor(xs)), 'trainOnBatch: the optimizer');
    this.build(this.inputShapeFor(xs));
    return this.guardedStep(xs, ys, 0, xs.shape[0], compiled, 0, 0).loss;
  }

  /**
   * The loss and dL/dweights (in getWeights() order) for this batch, without updating anything:
   * weights, optimizer state and carried layer states are as they were afterwards. A training
   * pass, as fit's (Keras' GradientTape with training=True): Dropout drops, drawing its mask.
   */
  computeGradients(x: TensorLike, y: TensorLike): { loss: number; grads: Tensor[] } {
    const compiled = this.assertCompiled('computeGradients');
    const xs = this.readInput(x, 'x');
    const ys = this.readTargets(y, xs, 'y');
    this.checkStatefulBatch(xs.shape[0], 'computeGradients', 'x');
    this.checkOneStatefulBatch(xs, 'computeGradients');
    this.build(this.inputShapeFor(xs));
    const states = this.layerList.map((l) => l.getStates());
    try {
      const result = this.computeLoss(this.forward(xs, true), ys, compiled); // a training pass, as fit's (Dropout drops)
      this.backward(result);
      return { loss: result.loss, grads: this.layerList.flatMap((l) => l.getGradients().map((g) => g.clone())) };
    } finally {
      this.layerList.forEach((l, i) => {
        if (l.stateful) l.resetStates(states[i]);
      });
    }
  }

  /** Loss and metrics over the data, batch by batch: `{ loss, accuracy, mae, ... }` (each metric as named in compile). */
  evaluate(x: TensorLike, y: TensorLike, options: EvaluateOptions = {}): Record<string, number> {
    return runToEnd(this.evaluateRun(x, y, checkOptions(options, ['batchSize', 'verbose'], 'evaluate') as EvaluateOptions, 'evaluate'));
  }

  /** evaluate, giving the event loop a turn at most every `yieldEveryMs` (default 8) between batches; `signal` rejects with its reason, the model's carried states put back. */
  async evaluateAsync(x: TensorLike, y: TensorLike, options: EvaluateOptions & AsyncOptions = {}): Promise<Record<string, number>> {
    const { signal, yieldEveryMs, ...opts } = checkOptions(options, ['batchSize', 'verbose', 'signal', 'yieldEveryMs'], 'evaluateAsync') as EvaluateOptions & AsyncOptions;
    const sliceMs = checkYieldOptions(signal, yieldEveryMs, 'evaluateAsync');
    return runYielding(this.evaluateRun(x, y, opts, 'evaluateAsync', signal), { sliceMs });
  }

  private *evaluateRun(x: TensorLike, y: TensorLike, opts: EvaluateOptions, where: string, signal?: AbortSignal): Run<Record<string, number>> {
    if (opts.verbose !== undefined && opts.verbose !== 0 && opts.verbose !== 1) throw new RangeError(`${where}: verbose: expected 0 or 1, got ${describe(opts.verbose)}`);
    const compiled = this.assertCompiled(where);
    const xs = this.readInput(x, 'x');
    const ys = this.readTargets(y, xs, 'y');
    const batchSize = this.resolveBatchSize(opts.batchSize, xs.shape[0], where, 'x');
    if (aborted(signal)) throw abortError(signal!);
    this.build(this.inputShapeFor(xs));
    const kept = this.keepStates();
    const figures = yield* this.evaluateBatches(xs, ys, batchSize, compiled, kept, signal);
    if (kept !== undefined) this.checkCarriedStates(kept, where);
    const result: Record<string, number> = { loss: figures.loss };
    compiled.metricNames.forEach((name, k) => (result[name] = figures.sums[k] / figures.counts[k]));
    if (opts.verbose === 1) defaultProgressSink().line(Object.entries(result).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - '));
    return result;
  }

  /** The model's outputs for every sample, computed batch by batch (default 32; stateful: the fixed size). */
  predict(x: TensorLike, options: PredictOptions = {}): Tensor {
    return runToEnd(this.predictRun(x, checkOptions(options, ['batchSize'], 'predict') as PredictOptions, 'predict'));
  }

  /** predict, giving the event loop a turn at most every `yieldEveryMs` (default 8) between batches; `signal` rejects with its reason, the model's carried states put back. */
  async predictAsync(x: TensorLike, options: PredictOptions & AsyncOptions = {}): Promise<Tensor> {
    const { signal, yieldEveryMs, ...opts } = checkOptions(options, ['batchSize', 'signal', 'yieldEveryMs'], 'predictAsync') as PredictOptions & AsyncOptions;
    const sliceMs = checkYieldOptions(signal, yieldEveryMs, 'predictAsync');
    return runYielding(this.predictRun(x, opts, 'predictAsync', signal), { sliceMs });
  }

  private *predictRun(x: TensorLike, opts: PredictOptions, where: string, signal?: AbortSignal): Run<Tensor> {
    const xs = this.readInput(x, 'x');
    const batchSize = this.resolveBatchSize(opts.batchSize, xs.shape[0], where, 'x');
    if (aborted(signal)) throw abortError(signal!);
    this.build(this.inputShapeFor(xs));
    const n = xs.shape[0];
    const outShape = this.concreteOutputShape(xs.shape);
    const out = new Tensor(allocate(this.dtype, sizeOf(outShape)), outShape);
    const rowSize = sizeOf(outShape.slice(1));
    const kept = this.keepStates();
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      const yb = this.forward(rowRange(xs, start, end), false);
      out.data.set(yb.data, start * rowSize);
      yield; // predictAsync may give the event loop a turn here
      if (aborted(signal)) throw this.abandoned(signal!, kept);
    }
    if (kept !== undefined) this.checkCarriedStates(kept, where);
    return out;
  }

  /**
   * Class predictions: the argmax over the last axis, or (for a single sigmoid-style output)
   * 1 where the output exceeds 0.5, as Keras' predict_classes. Shape: the output's without its last axis.
   */
  predictClasses(x: TensorLike, options: PredictOptions = {}): Tensor {
    const probabilities = this.predict(x, options);
    const width = probabilities.shape[probabilities.rank - 1];
    const classes = new Tensor(allocate('float32', probabilities.size / width), probabilities.shape.slice(0, -1));
    if (width === 1) {
      probabilities.data.forEach((p, r) => (classes.data[r] = p > 0.5 ? 1 : 0));
    } else {
      classes.data.set(argmaxRows(probabilities));
    }
    return classes;
  }

  // ---------------------------------------------------------------------------------------------
  // The step itself

  /**
   * Every layer's forward, unchecked (x was checked once by readInput), `training` as Keras'
   * argument: true in the training step and computeGradients, false in predict / evaluate. The result is the last
   * layer's own buffer, valid until its next forward: callers read it or copy it out.
   */
  private forward(x: Tensor, training: boolean): Tensor {
    let h = x;
    let mask: Uint8Array | undefined; // passed from layer to layer, as Keras passes masks (layer.ts, outputMask)
    for (let i = 0; i < this.layerList.length; i++) {
      const layer = this.layerList[i];
      h = layer[forwardTrusted](h, mask, training);
      mask = layer[outputMask](mask);
    }
    this.lastOutputMask = mask;
    return h;
  }

  /**
   * The loss, its gradient and the metrics' sums of the last forward's output yPred: the loss
   * on the last Dense layer's logits in the fused, stable form when its activation pairs with the
   * loss (softmax + cross-entropy, sigmoid + binary cross-entropy), else on the predictions.
   *
   * When masked steps reach the output (a masking LSTM returning sequences, then Dense at every
   * step), the loss and the accuracy are those of the unmasked steps alone, as Keras computes
   * them: the mean over the unmasked rows, L = Σ_unmasked ℓ_r / (number unmasked), and masked
   * rows get a zero gradient. Every metric likewise sums and counts the unmasked rows alone. (TF.js 4.22 does not mask the loss: it averages over every step.)
   */
  private computeLoss(yPred: Tensor, yTrue: Tensor, compiled: Compiled): ScoredBatch {
    const last = this.layerList[this.layerList.length - 1];
    const logits = compiled.fused && last instanceof Dense ? last.getLogits() : undefined;
    const mask = this.lastOutputMask;
    if (mask !== undefined) return this.maskedLoss(yPred, yTrue, logits, mask, compiled);
    const { sums, counts } = scoreMetrics(compiled.metrics, yPred, yTrue);
    const fromLogits = logits !== undefined;
    const kernel = fromLogits ? compiled.fusedKernel : compiled.lossKernel;
    if (kernel !== undefined) {
      // A built-in loss, on targets readTargets checked and predictions the layers made: its
      // arithmetic alone (the same bits as its public function), into a gradient buffer reused across steps.
      const scored = logits ?? yPred;
      const grad = this.lossGradientFor(scored);
      const loss = kernel(scored.data, yTrue.data, scored.shape[scored.rank - 1], grad.data);
      return { loss, grad, fromLogits, sums, counts };
    }
    const result = fromLogits ? compiled.fused!(logits, yTrue) : compiled.loss.compute(yPred, yTrue);
    return { loss: result.loss, grad: result.grad, fromLogits, sums, counts };
  }

  /** A gradient buffer shaped and typed like `scored`: the last step's when it fits (a kernel writes every element). */
  private lossGradientFor(scored: Tensor): Tensor {
    const last = this.lossGradient;
    if (last !== undefined && last.dtype === scored.dtype && sameShape(last.shape, scored.shape)) return last;
    return (this.lossGradient = new Tensor(allocate(scored.dtype, scored.size), scored.shape));
  }

  /**
   * computeLoss with masked steps: the unmasked rows of the [B, T, ...] output (and of the
   * targets, and of the logits) are gathered, in order, into [V, ...] tensors and scored as an
   * ordinary batch of V rows; their gradient goes back to its rows, the masked rows' stays 0.
   */
  private maskedLoss(yPred: Tensor, yTrue: Tensor, logits: Tensor | undefined, mask: Uint8Array, compiled: Compiled): ScoredBatch {
    const rows = mask.length; // B·T
    const kept: number[] = [];
    for (let r = 0; r < rows; r++) if (mask[r] === 0) kept.push(r);
    const scored = logits ?? yPred;
    const grad = new Tensor(allocate(scored.dtype, scored.size), scored.shape);
    if (kept.length === 0) {
      const none = compiled.metrics.length === 0 ? NO_METRICS : compiled.metrics.map(() => 0);
      return { loss: 0, grad, fromLogits: logits !== undefined, sums: none, counts: none };
    }
    const keptRows = (t: Tensor) => {
      const width = t.size / rows;
      const out = new Tensor(allocate(t.dtype, kept.length * width), [kept.length, ...t.shape.slice(2)]);
      kept.forEach((r, i) => out.data.set(t.data.subarray(r * width, (r + 1) * width), i * width));
      return out;
    };
    const yTrueKept = keptRows(yTrue);
    const { sums, counts } = scoreMetrics(compiled.metrics, compiled.metrics.length === 0 ? yPred : keptRows(yPred), yTrueKept);
    const result = logits !== undefined ? compiled.fused!(keptRows(logits), yTrueKept) : compiled.loss.compute(keptRows(yPred), yTrueKept);
    const width = scored.size / rows;
    kept.forEach((r, i) => grad.data.set(result.grad.data.subarray(i * width, (i + 1) * width), r * width));
    return { loss: result.loss, grad, fromLogits: logits !== undefined, sums, counts };
  }

  /** Backward through every layer, last to first, from the loss gradient (fills their gradients). */
  private backward(result: ScoredBatch): void {
    const layers = this.layerList;
    const last = layers.length - 1;
    // dL/dx is needed from every layer but the first (nothing below it takes a gradient).
    let grad = result.fromLogits
      ? (layers[last] as Dense)[backwardFromLogitsTrusted](result.grad, last > 0)
      : layers[last][backwardTrusted](result.grad, last > 0);
    for (let i = last - 1; i >= 0; i--) grad = layers[i][backwardTrusted](grad!, i > 0);
  }

  /**
   * One update on the batch of rows start … start + rows - 1 of checked x and y (the whole of
   * them, or a run of a fit's epoch); `epoch` and `batch` (from 1, or 0 for trainOnBatch) only
   * name it in errors.
   */
  private trainStep(xs: Tensor, ys: Tensor, start: number, rows: number, compiled: Compiled, epoch: number, batch: number): BatchFigures {
    const { params, grads } = this.parametersAndGradients();
    // [LSTM, Dense] on small float32 batches: forward, loss and backward in one WebAssembly call
    // (fused-step.ts) reading the rows in place, the same bits as the layer-by-layer path below, with the same checks.
    const step = (this.fusedStep = FusedStep.create(this.layerList, compiled.fused, compiled.metrics, rows, xs.shape[1], this.fusedStep));
    if (step !== undefined) {
      const outcome = step.run(xs.data, start * xs.strides[0], ys.data, start * ys.strides[0]);
      if (outcome.status === 1) throw trainingStopped(`the loss became ${outcome.loss}`, epoch, batch);
      if (outcome.status === 2) throw trainingStopped(`the loss gradient became ${outcome.badValue}`, epoch, batch);
      if (outcome.status === 3) this.checkGradients(grads, epoch, batch); // names the first non-finite one
      const refused = compiled.optimizer[applyValidatedGradients](params, grads, true);
      if (refused !== undefined) throw this.updateRefused(refused, epoch, batch);
      // It applies with no metric or one accuracy, which it counts itself.
      return compiled.metrics.length === 0
        ? { loss: outcome.loss, sums: NO_METRICS, counts: NO_METRICS }
        : { loss: outcome.loss, sums: [outcome.correct], counts: [outcome.counted] };
    }
    const whole = start === 0 && rows === xs.shape[0];
    const x = whole ? xs : rowRange(xs, start, start + rows);
    const y = whole ? ys : rowRange(ys, start, start + rows);
    const result = this.computeLoss(this.forward(x, true), y, compiled);
    // The loss and every gradient are checked before the update, so a NaN or an overflow never
    // reaches the weights (in float32 a finite loss can still have an infinite gradient).
    if (!Number.isFinite(result.loss)) throw trainingStopped(`the loss became ${result.loss}`, epoch, batch);
    const badOutputGradient = firstNonFinite(result.grad.data);
    if (badOutputGradient >= 0) throw trainingStopped(`the loss gradient became ${result.grad.data[badOutputGradient]}`, epoch, batch);
    try {
      this.backward(result);
    } catch (error) {
      // A user's layer (through its public backward) may refuse a non-finite upstream gradient;
      // the built-in layers pass it on, and the gradient check below stops the step.
      throw Object.assign(trainingStopped(`backpropagation failed (${(error as Error).message})`, epoch, batch), { cause: error });
    }
    this.checkGradients(grads, epoch, batch);
    // Every gradient is finite and shaped like its weight (the layers made them): no re-validation.
    // The optimizer may host their storage (optimizer.ts); it undoes an update that would leave a
    // weight or one of its slots non-finite, and says what.
    const refused = compiled.optimizer[applyValidatedGradients](params, grads, true);
    if (refused !== undefined) throw this.updateRefused(refused, epoch, batch);
    return { loss: result.loss, sums: result.sums, counts: result.counts };
  }

  /**
   * trainStep, undone as a whole when it throws: the weights and the optimizer are put back by the
   * optimizer itself (or were never written), the carried states here, from copies taken before
   * the batch's forward (stateful models only). fit passes its History, which the error then carries.
   */
  private guardedStep(xs: Tensor, ys: Tensor, start: number, rows: number, compiled: Compiled, epoch: number, batch: number, history?: History): BatchFigures {
    const kept = this.keepStates();
    try {
      return this.trainStep(xs, ys, start, rows, compiled, epoch, batch);
    } catch (error) {
      if (kept !== undefined) this.restoreStates(kept);
      // Keras' TerminateOnNaN ends fit with the History so far: here it travels on fit's error.
      if (history !== undefined && error instanceof Error) Object.assign(error, { history });
      throw error;
    }
  }

  /**
   * Copies of every stateful layer's carried state (undefined for a model without any): into
   * buffers reused from step to step where the layer shows its live state tensors (LSTM), else
   * getStates' copies.
   */
  private keepStates(): KeptState[] | undefined {
    if (!this.stateful) return undefined;
    // Made whole on first use (the layers and their live state tensors are fixed once built).
    const kept = (this.keptStates ??= this.layerList.map((layer) => {
      const live = layer.stateful && layer instanceof RNN ? layer.states : undefined;
      return { live, copies: live === undefined ? [] : live.map((t) => allocate(t.dtype, t.size)), states: undefined };
    }));
    for (let i = 0; i < kept.length; i++) {
      const entry = kept[i];
      const live = entry.live;
      if (live !== undefined) {
        for (let k = 0; k < live.length; k++) entry.copies[k].set(live[k].data);
      } else if (this.layerList[i].stateful) {
        entry.states = this.layerList[i].getStates();
      }
    }
    return kept;
  }

  /**
   * After predict / evaluate on a stateful model: a carried state that overflowed (finite weights
   * can do it with a 'relu' or 'linear' cell activation in float32) would poison every later batch,
   * so the states are put back as they were before the call and the call throws.
   */
  private checkCarriedStates(kept: KeptState[], where: string): void {
    for (const layer of this.layerList) {
      if (!layer.stateful) continue;
      const states = layer instanceof RNN ? layer.states : layer.getStates();
      for (const t of states) {
        const at = firstNonFinite(t.data);
        if (at < 0) continue;
        const value = t.data[at];
        this.restoreStates(kept);
        throw new RangeError(`${where}: the carried state of layer ${layer.name} became ${value} (the forward overflowed ${this.dtype}); the carried states are put back as they were before this call (scale the inputs down, or use the 'tanh' activation, whose cell state cannot overflow)`);
      }
    }
  }

  /** An aborted evaluateAsync / predictAsync: the carried states put back as before the call, the signal's reason to throw. */
  private abandoned(signal: AbortSignal, kept: KeptState[] | undefined): Error {
    if (kept !== undefined) this.restoreStates(kept);
    return abortError(signal);
  }

  /** Put back the carried states keepStates copied. */
  private restoreStates(kept: KeptState[]): void {
    this.layerList.forEach((layer, i) => {
      const { live, copies, states } = kept[i];
      if (live !== undefined) live.forEach((t, k) => t.data.set(copies[k]));
      else if (layer.stateful) layer.resetStates(states);
    });
  }

  /** The error of an update the optimizer undid. */
  private updateRefused(refused: NonFiniteUpdate, epoch: number, batch: number): Error {
    const weight = this.weightNames[refused.param];
    const what = refused.slot === undefined ? weight : `the optimizer's ${refused.slot} slot of ${weight}`;
    return trainingStopped(`the update would make ${what} non-finite (${refused.value} at flat index ${refused.index})`, epoch, batch);
  }

  /** Throws, naming the weight, if any gradient holds a non-finite value. */
  private checkGradients(grads: Tensor[], epoch: number, batch: number): void {
    for (let i = 0; i < grads.length; i++) {
      const at = firstNonFinite(grads[i].data);
      if (at >= 0) throw trainingStopped(`the gradient of ${this.weightNames[i]} became ${grads[i].data[at]}`, epoch, batch);
    }
  }

  /** The live weight and gradient tensors of every layer, in getWeights() order: fixed once built, so listed once. */
  private parametersAndGradients(): { params: Tensor[]; grads: Tensor[] } {
    if (this.liveTensors === undefined) {
      this.liveTensors = { params: this.trainableWeights, grads: this.layerList.flatMap((l) => l.getGradients()) };
    }
    return this.liveTensors;
  }

  private evaluateTensors(x: Tensor, y: Tensor, batchSize: number, compiled: Compiled): BatchFigures {
    return runToEnd(this.evaluateBatches(x, y, batchSize, compiled, undefined, undefined));
  }

  /** The loss and metric over checked x and y, batch by batch, yielding after each (run.ts). */
  private *evaluateBatches(x: Tensor, y: Tensor, batchSize: number, compiled: Compiled, kept: KeptState[] | undefined, signal: AbortSignal | undefined): Run<BatchFigures> {
    const n = x.shape[0];
    let lossSum = 0;
    const m = compiled.metrics.length;
    const sums = new Array<number>(m).fill(0);
    const counts = new Array<number>(m).fill(0);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      const xb = rowRange(x, start, end);
      const yb = rowRange(y, start, end);
      const result = this.computeLoss(this.forward(xb, false), yb, compiled);
      lossSum += result.loss * (end - start);
      for (let k = 0; k < m; k++) {
        sums[k] += result.sums[k];
        counts[k] += result.counts[k];
      }
      yield; // evaluateAsync may give the event loop a turn here
      if (aborted(signal)) throw this.abandoned(signal!, kept);
    }
    return { loss: lossSum / n, sums, counts };
  }

  // ---------------------------------------------------------------------------------------------
  // Argument checks (all before anything changes)

  /**
   * x checked against the input shape the model is built for, or (unbuilt) would be built for by
   * this x (inputShapeFor) or by `shape`: an unbuilt model stays unbuilt, its layers' refusals of
   * that shape come from checkBuildable, and the caller builds once everything is checked.
   */
  private readInput(x: unknown, argument: string, shape?: Shape): Tensor {
    const xs = toTensor(x, argument, this.dtype);
    let expected = shape ?? this.builtInputShape;
    if (expected === undefined) {
      if (this.layerList.length === 0) throw new Error(`Sequential ${this.name}: the model has no layers`);
      if (xs.rank < 2) throw new RangeError(`${argument}: expected a tensor with a sample axis first, got shape ${formatShape(xs.shape)}`);
      expected = this.inputShapeFor(xs);
      try {
        this.checkBuildable(expected);
      } catch (error) {
        throw new Error(`${argument}: has shape ${formatShape(xs.shape)}, which the model cannot be built for: ${(error as Error).message}`);
      }
    }
    const wanted = `[${['samples', ...expected.slice(1).map((d) => (d === null ? 'any' : String(d)))].join(', ')}]`;
    if (xs.rank !== expected.length) {
      throw new RangeError(`${argument}: expected rank ${expected.length} (shape ${wanted}), got shape ${formatShape(xs.shape)}`);
    }
    for (let axis = 1; axis < expected.length; axis++) {
      if (expected[axis] !== null && xs.shape[axis] !== expected[axis]) {
        const what = axis === expected.length - 1 ? 'features' : `size ${xs.shape[axis]} on axis ${axis}`;
        throw new RangeError(`${argument}: has ${axis === expected.length - 1 ? `${xs.shape[axis]} ` : ''}${what} (shape ${formatShape(xs.shape)}), expected shape ${wanted}`);
      }
    }
    if (xs.shape[0] === 0) throw new RangeError(`${argument}: holds no samples (shape ${formatShape(xs.shape)})`);
    if (xs.size === 0) throw new RangeError(`${argument}: has shape ${formatShape(xs.shape)}, which holds no values; expected at least one time step and one feature`);
    assertFinite(xs, argument);
    // A first Embedding takes integer indices: all of x checked here, before any batch runs.
    const first = this.layerList[0];
    if (first instanceof Embedding) first.checkIndices(xs, `${argument} (the input of Embedding ${first.name})`);
    return xs;
  }

  private readTargets(y: unknown, xs: Tensor, argument: string): Tensor {
    const compiled = this.compiled!;
    const ys = toTensor(y, argument, this.dtype);
    if (ys.rank === 0 || ys.shape[0] !== xs.shape[0]) {
      throw new RangeError(`${argument}: has ${ys.rank === 0 ? 'no sample axis' : `${ys.shape[0]} samples`} (shape ${formatShape(ys.shape)}), but x has ${xs.shape[0]} (shape ${formatShape(xs.shape)}); expected one target per sample`);
    }
    assertFinite(ys, argument);
    compiled.loss.validateTargets(ys, this.concreteOutputShape(xs.shape), argument);
    // A user's own loss may take targets of another shape; the regression metrics compare element by element.
    const regression = compiled.metrics.find((m) => m.accuracy === undefined);
    if (regression !== undefined && !sameShape(ys.shape, this.concreteOutputShape(xs.shape))) {
      throw new RangeError(`${argument}: metric '${regression.name}' compares targets with the predictions element by element: expected targets of shape ${formatShape(this.concreteOutputShape(xs.shape))} (the predictions' shape), got ${formatShape(ys.shape)}`);
    }
    // Class indices as given, before float32 rounds 2.0000001 to 2 (oneHot refuses it too).
    if (compiled.loss.name === 'sparseCategoricalCrossentropy' && ys.dtype === 'float32' && !(y instanceof Tensor && y.dtype === 'float32')) {
      compiled.loss.validateTargets(toTensor(y, argument, 'float64'), this.concreteOutputShape(xs.shape), argument);
    }
    return ys;
  }

  private concreteOutputShape(inputShape: readonly number[]): number[] {
    return this.outputShapeFor([...inputShape]) as number[];
  }

  private outputShapeFor(inputShape: Shape): Shape {
    return this.layerList.reduce<Shape>((shape, layer) => layer.computeOutputShape(shape), inputShape);
  }

  private resolveShuffle(shuffle: unknown): boolean {
    if (shuffle === undefined) return !this.stateful;
    const value = checkBoolean(shuffle, 'fit: shuffle');
    if (value && this.stateful) {
      throw new Error('fit: shuffle: true is refused for a stateful model: sample i of each batch continues from the state of sample i of the previous batch, so the order of the samples is part of the data; pass shuffle: false');
    }
    return value;
  }

  private resolveBatchSize(batchSize: unknown, samples: number, where: string, argument: string): number {
    const fixed = this.fixedBatchSize;
    if (this.stateful && fixed !== undefined) {
      if (batchSize !== undefined && batchSize !== fixed) {
        throw new RangeError(`${where}: batchSize ${describe(batchSize)} does not match the batch size ${fixed} fixed by batchInputShape ${formatShape(this.layerList[0].batchInputShape!)}: a stateful model always runs batches of exactly that size`);
      }
      this.checkStatefulBatch(samples, where, argument);
      return fixed;
    }
    return batchSize === undefined ? 32 : checkPositiveInteger(batchSize, `${where}: batchSize`);
  }

  private checkStatefulBatch(samples: number, where: string, argument: string): void {
    const fixed = this.fixedBatchSize;
    if (!this.stateful || fixed === undefined) return;
    if (samples % fixed !== 0) {
      throw new RangeError(`${where}: ${argument} has ${samples} sample${samples === 1 ? '' : 's'}, which is not a multiple of the batch size ${fixed} fixed by batchInputShape ${formatShape(this.layerList[0].batchInputShape!)}: a stateful model carries the state of sample i of one batch into sample i of the next, so every batch must be full`);
    }
  }

  /** trainOnBatch / computeGradients run x as ONE batch: a stateful model needs exactly its fixed batch size. */
  private checkOneStatefulBatch(xs: Tensor, where: string): void {
    const fixed = this.fixedBatchSize;
    if (!this.stateful || fixed === undefined || xs.shape[0] === fixed) return;
    throw new RangeError(`${where}: x has batch size ${xs.shape[0]} (shape ${formatShape(xs.shape)}); expected ${fixed}: a stateful model's batch size is fixed by batchInputShape ${formatShape(this.layerList[0].batchInputShape!)}, and ${where} runs x as one batch (use fit to run several)`);
  }

  private assertCompiled(where: string): Compiled {
    if (!this.compiled) throw new Error(`${where}: the model must be compiled first: model.compile({ optimizer, loss, metrics })`);
    return this.compiled;
  }

  /**
   * The weights exist once the model is built. With the input shape declared on the first layer
   * (inputShape / batchInputShape) it is built as its layers are added (see add), as Keras builds
   * such a model at once: getWeights / setWeights work straight after the constructor.
   */
  private assertBuilt(where: string): void {
    if (!this.built) {
      throw new Error(`Sequential ${this.name}.${where}: the model is not built yet, and its input shape is unknown; give the first layer inputShape or batchInputShape, or call fit / predict first`);
    }
  }
}

/**
 * A copy of an unbuilt layer from its config, for checkBuildable: built without drawing (its
 * initializers give zeros and consume no random number); undefined when the layer cannot be
 * rebuilt from its config.
 */
function probeOf(layer: Layer): Layer | undefined {
  try {
    return layerFromConfig(layer.getConfig());
  } catch {
    return undefined;
  }
}

/** Each metric's sum and count over a batch's predictions and targets (the unmasked rows, when masked). */
function scoreMetrics(metrics: readonly ResolvedMetric[], yPred: Tensor, yTrue: Tensor): { sums: number[]; counts: number[] } {
  if (metrics.length === 0) return { sums: NO_METRICS, counts: NO_METRICS };
  const sums = new Array<number>(metrics.length);
  const counts = new Array<number>(metrics.length);
  for (let k = 0; k < metrics.length; k++) {
    const { sum, count } = metricSum(metrics[k].kind, yPred, yTrue);
    sums[k] = sum;
    counts[k] = count;
  }
  return { sums, counts };
}

/**
 * The error of a training step stopped by a non-finite loss, gradient or update (epoch and batch
 * from 1; 0: trainOnBatch). fit adds `history` to it (the History of the completed epochs).
 */
function trainingStopped(what: string, epoch: number, batch: number): Error {
  const where = epoch === 0 ? '' : ` at epoch ${epoch}, batch ${batch}`;
  return new Error(`${epoch === 0 ? 'trainOnBatch' : 'fit'}: ${what}${where}; training stopped and that batch was undone, so the weights, the optimizer state and the carried states are those after the previous batch (lower the learning rate, or check the data for extreme values)`);
}

/** A callback's return value as a run step (run.ts): its promise, for fitAsync to await, or nothing. */
function* awaited(result: unknown): Generator<RunStep, void, void> {
  if (isThenable(result)) yield result;
}

/** The async forms' own options, checked; the slice length in milliseconds. */
function checkYieldOptions(signal: unknown, yieldEveryMs: unknown, where: string): number {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof (signal as AbortSignal).aborted !== 'boolean')) {
    throw new TypeError(`${where}: signal: expected an AbortSignal (new AbortController().signal), got ${describe(signal)}`);
  }
  if (yieldEveryMs === undefined) return 8;
  if (typeof yieldEveryMs !== 'number' || !Number.isFinite(yieldEveryMs) || yieldEveryMs < 0) {
    throw new RangeError(`${where}: yieldEveryMs: expected a finite number of milliseconds >= 0, got ${describe(yieldEveryMs)}`);
  }
  return yieldEveryMs;
}

/** The error an aborted call rejects with: the signal's reason when it is an Error, else an AbortError. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(reason === undefined ? 'The operation was aborted' : String(reason));
  error.name = 'AbortError';
  return error;
}

/** Whether the signal has aborted (a function, so that a check after an await is not narrowed away). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted;
}
