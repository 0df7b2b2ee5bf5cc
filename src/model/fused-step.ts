// Shapes: B = batch, T = time steps, I = input features, H = LSTM units, U = Dense units.
/**
 * The tutorials' model, Sequential([LSTM, Dense]) on small float32 batches, trained one step per
 * WebAssembly call (wasm/step.wat): the LSTM's forward, the Dense layer's forward, the loss on
 * its logits, the accuracy count, both backwards. A batch-1 step is a few thousand
 * multiply-adds; run layer by layer in JavaScript its calls, checks and copies cost more than
 * the arithmetic, and the JavaScript is slow until V8 has optimised it, a thousand steps or so
 * into a run. The kernel is the same operations in the same order as the layers' own code, so
 * the same bits (test/model-step.test.ts); Sequential's trainStep uses it where it applies and
 * the layers otherwise. The optimizer's update stays outside, as in every step.
 *
 * It applies when: the model is [LSTM, Dense], float32; the LSTM's cell runs in WebAssembly
 * (kernels.ts: the default activations), it has no maskValue, reads forwards and returns h_T
 * only, and the shapes are small (the whole-sequence mode of wasm/lstm-wasm.ts); the Dense layer
 * is sigmoid with binary cross-entropy or softmax with categorical cross-entropy (the fused
 * logits forms), its products unpacked; the metrics are none or one accuracy it counts (binary or
 * categorical: with any other metric, or several, the layers' path runs); WebAssembly SIMD is available.
 *
 * The model compiles it from the layers' public weights, gradients, states and config: no layer
 * knows it exists. It keeps an LSTM kernel of its own (the LSTM's regions, then the Dense
 * layer's in the room after them); each step copies the weights and the carried state in, and
 * the weight gradients and the new state out into the layers' live tensors, as the layers' own
 * forward and backward would leave them. (The layers' forward caches are not written: the model
 * reads nothing from them after a training step.)
 */
import { compileKernel } from '../base/wasm.js';
import { Dense } from '../layers/dense.js';
import type { Layer } from '../layers/layer.js';
import { LSTM } from '../layers/lstm.js';
import { lstmCellRunsInWasm } from '../layers/recurrent/kernels.js';
import { transposeBT } from '../layers/recurrent/time-major.js';
import { LSTMKernel, fusedLSTMShape } from '../layers/recurrent/wasm/lstm-wasm.js';
import type { Tensor } from '../tensor/tensor.js';
import { sigmoidBinaryCrossentropy } from '../losses/binary-crossentropy.js';
import { softmaxCategoricalCrossentropy } from '../losses/categorical-crossentropy.js';
import type { LogitsLoss } from '../losses/loss.js';
import { ROWS_WASM_MIN_WORK, usePacked } from '../tensor/gemm.js';
import type { TypedArray } from '../tensor/alloc.js';
import type { AccuracyKind, ResolvedMetric } from './metrics.js';
import { STEP_WASM_BASE64 } from './wasm/step-binary.js';

/** What one step gives: status 0 done, 1 loss not finite, 2 loss gradient not finite, 3 a weight gradient not finite (step.wat). */
export interface StepOutcome {
  status: number;
  loss: number;
  correct: number;
  counted: number;
  /** status 2: the first non-finite value of the loss gradient. */
  badValue: number;
}

/** step.wat compiled; null without WebAssembly SIMD; undefined until first asked. */
let compiled: WebAssembly.Module | null | undefined;
/** Off only in tests, which compare the step with the layers' own path. */
let enabled = true;

/** For tests: train [LSTM, Dense] models with the whole-step kernel where it applies (true, the default) or never. */
export function setFusedModelStep(on: boolean): void {
  enabled = on;
}

/** The descriptor step.wat reads: i32 fields at these indices (byte offset = 4 × index). */
const FIELDS = {
  T: 0, B: 1, I: 2, H: 3, U: 4, flags: 5, forwardFlags: 6, backwardFlags: 7,
  W: 8, recurrent: 9, bias: 10, xT: 11, gates: 12, hs: 13, cs: 14, actC: 15, dGates: 16, dy: 17,
  dW: 18, dU: 19, dBias: 20, dXT: 21, scratch: 22, dh: 23, dc: 24,
  denseKernel: 26, denseBias: 27, logits: 28, output: 29, dLogits: 30, dDenseKernel: 31, dDenseBias: 32,
  target: 34, denseScratch: 35, results: 36,
} as const;
const DESCRIPTOR_FIELDS = 40;

/** The Dense layer's regions in the room after the LSTM's, in floats for (B, H, U); each 16-byte aligned. */
const denseRegions = (B: number, H: number, U: number) => ({
  denseKernel: H * U, denseBias: U, logits: B * U, output: B * U, dLogits: B * U, dDenseKernel: H * U, dDenseBias: U,
  target: B * U, denseScratch: H * B, results: 4, descriptor: DESCRIPTOR_FIELDS,
});
type DenseRegion = keyof ReturnType<typeof denseRegions>;
const roomFor = (B: number, H: number, U: number): number => Object.values(denseRegions(B, H, U)).reduce((sum, n) => sum + Math.ceil(n / 4) * 4, 0);

/** gemm.ts' choice for one unpacked product: the float32 SIMD row kernels (1) or the float64 ones (0). */
const simd = (m: number, n: number, k: number): number => (m * n * k >= ROWS_WASM_MIN_WORK ? 1 : 0);

export class FusedStep {
  private readonly step: (descriptor: number) => number;
  private readonly descriptorAt: number;
  private readonly views: Record<DenseRegion, Float32Array>;
  private readonly results: Float64Array;
  // The layers' live tensors (their storage may move, e.g. into Adam's memory: `.data` is read at each step).
  private readonly lstmWeights: Tensor[];
  private readonly lstmGradients: Tensor[];
  private readonly denseWeights: Tensor[];
  private readonly denseGradients: Tensor[];
  /** The LSTM's carried [h, c] when stateful, else []. */
  private readonly carried: Tensor[];

  private constructor(
    readonly B: number, readonly T: number,
    private readonly lstm: LSTM, private readonly dense: Dense, readonly kernel: LSTMKernel,
    private readonly fused: LogitsLoss, private readonly accuracy: AccuracyKind | undefined,
    module: WebAssembly.Module, softmax: boolean,
  ) {
    const { I, H } = kernel;
    const U = dense.units;
    this.lstmWeights = lstm.trainableWeights;
    this.lstmGradients = lstm.getGradients();
    this.denseWeights = dense.trainableWeights;
    this.denseGradients = dense.getGradients();
    this.carried = lstm.states;
    // The Dense regions, from the start of the LSTM kernel's room.
    const sizes = denseRegions(B, H, U);
    const views = {} as Record<DenseRegion, Float32Array>;
    const bytes = {} as Record<DenseRegion, number>;
    let at = kernel.bytes.extra;
    for (const region of Object.keys(sizes) as DenseRegion[]) {
      views[region] = new Float32Array(kernel.memory.buffer, at, sizes[region]);
      bytes[region] = at;
      at += Math.ceil(sizes[region] / 4) * 16;
    }
    this.views = views;
    this.results = new Float64Array(kernel.memory.buffer, bytes.results, 2);
    this.descriptorAt = bytes.descriptor;
    const d = new Int32Array(kernel.memory.buffer, bytes.descriptor, DESCRIPTOR_FIELDS);
    const o = kernel.bytes;
    const hasBias = dense.useBias;
    const lstmBias = lstm.useBias;
    d[FIELDS.T] = T;
    d[FIELDS.B] = B;
    d[FIELDS.I] = I;
    d[FIELDS.H] = H;
    d[FIELDS.U] = U;
    d[FIELDS.flags] = (hasBias ? 1 : 0) | (softmax ? 2 : 0) | (accuracy === 'binary' ? 4 : 0) | (accuracy === 'categorical' ? 8 : 0)
      | (simd(B, U, H) << 4) | (simd(H, U, B) << 5) | (simd(B, H, U) << 6);
    d[FIELDS.forwardFlags] = kernel.forwardFlags(lstmBias);
    d[FIELDS.backwardFlags] = kernel.backwardFlags(lstmBias, false, false);
    for (const region of ['W', 'bias', 'xT', 'gates', 'hs', 'cs', 'actC', 'dGates', 'dy', 'dW', 'dU', 'dBias', 'dXT', 'scratch', 'dh', 'dc'] as const) d[FIELDS[region]] = o[region];
    d[FIELDS.recurrent] = o.U;
    for (const region of ['denseKernel', 'denseBias', 'logits', 'output', 'dLogits', 'dDenseKernel', 'dDenseBias', 'target', 'denseScratch', 'results'] as const) d[FIELDS[region]] = bytes[region];
    const lstmExports = kernel.exports;
    const instance = new WebAssembly.Instance(module, {
      env: { memory: kernel.memory },
      lstm: {
        forward: lstmExports.forward, backward: lstmExports.backward, product: lstmExports.product,
        addRows: lstmExports.addRows, addRowVector: lstmExports.addRowVector, transpose: lstmExports.transpose,
      },
      math: { exp: Math.exp, log: Math.log, log1p: Math.log1p },
    });
    this.step = instance.exports.step as (descriptor: number) => number;
  }

  /**
   * The step for this model and batch shape [B, T, ·], or undefined where it does not apply
   * (see the file's comment). `previous` is returned when it still fits: the same layers and shape.
   */
  static create(layers: readonly Layer[], fused: LogitsLoss | undefined, metrics: readonly ResolvedMetric[], B: number, T: number, previous: FusedStep | undefined): FusedStep | undefined {
    if (!enabled || layers.length !== 2) return undefined;
    // The kernel reports the loss and one accuracy count: any other metric, or a second, it cannot compute.
    if (metrics.length > 1 || (metrics.length === 1 && metrics[0].accuracy === undefined)) return undefined;
    const accuracy = metrics.length === 1 ? metrics[0].accuracy : undefined;
    const [lstm, dense] = layers;
    if (previous !== undefined && previous.B === B && previous.T === T && previous.fused === fused && previous.accuracy === accuracy
      && lstm === previous.lstm && dense === previous.dense && !previous.lstm.recordTraces && lstmCellRunsInWasm(previous.lstm.dtype, previous.lstm.activation, previous.lstm.recurrentActivation)) return previous;
    // Exactly these classes: a subclass may override what the kernel would skip.
    if (Object.getPrototypeOf(lstm) !== LSTM.prototype || Object.getPrototypeOf(dense) !== Dense.prototype) return undefined;
    if (!(lstm instanceof LSTM) || !(dense instanceof Dense) || !lstm.built || !dense.built || dense.dtype !== 'float32') return undefined;
    if (!lstmCellRunsInWasm(lstm.dtype, lstm.activation, lstm.recurrentActivation) || lstm.maskValue !== null || lstm.returnSequences || lstm.goBackwards || lstm.recordTraces || lstm.dropout > 0) return undefined;
    const softmax = fused === softmaxCategoricalCrossentropy && dense.activation === 'softmax';
    if (!softmax && !(fused === sigmoidBinaryCrossentropy && dense.activation === 'sigmoid')) return undefined;
    if (accuracy === 'sparseCategorical') return undefined;
    const I = lstm.trainableWeights[0].shape[0];
    const H = lstm.units;
    const U = dense.units;
    if (!fusedLSTMShape(I, H, B, T) || usePacked(B, U, H) || usePacked(H, U, B) || usePacked(B, H, U)) return undefined;
    if (compiled === undefined) compiled = compileKernel(STEP_WASM_BASE64);
    if (compiled === null) return undefined;
    const room = roomFor(B, H, U);
    const kernel = LSTMKernel.create(I, H, B, T, true, previous?.kernel, room);
    if (kernel === null) return undefined;
    return new FusedStep(B, T, lstm, dense, kernel, fused, accuracy, compiled, softmax);
  }

  /**
   * One step on a batch x [B, T, I] with targets y [B, U] (checked by the model), read in place
   * from x's storage at xOffset and y's at yOffset; the weight gradients in the layers' gradient
   * tensors, the new carried state (stateful) in the LSTM's states.
   */
  run(x: TypedArray, xOffset: number, y: TypedArray, yOffset: number): StepOutcome {
    const { kernel, views, lstmWeights, denseWeights, carried } = this;
    const lstmViews = kernel.views;
    const { B, T, I, H } = kernel;
    // What the LSTM's forward starts from: x time-major, the initial state, the weights as they are now.
    transposeBT(x, lstmViews.xT, B, T, I, xOffset);
    if (carried.length === 2) {
      lstmViews.hs.set(carried[0].data, 0);
      lstmViews.cs.set(carried[1].data, 0);
    } else {
      lstmViews.hs.fill(0, 0, B * H);
      lstmViews.cs.fill(0, 0, B * H);
    }
    lstmViews.W.set(lstmWeights[0].data);
    lstmViews.U.set(lstmWeights[1].data);
    if (lstmWeights.length === 3) lstmViews.bias.set(lstmWeights[2].data);
    views.denseKernel.set(denseWeights[0].data);
    if (denseWeights.length === 2) views.denseBias.set(denseWeights[1].data);
    const target = views.target;
    for (let k = 0; k < target.length; k++) target[k] = y[yOffset + k];

    const status = this.step(this.descriptorAt);

    // What the layers' own forward and backward leave: the carried state, the weight gradients.
    if (carried.length === 2) {
      carried[0].data.set(lstmViews.hs.subarray(T * B * H, (T + 1) * B * H));
      carried[1].data.set(lstmViews.cs.subarray(T * B * H, (T + 1) * B * H));
    }
    if (status === 0 || status === 3) {
      const gradients = this.lstmGradients; // [dKernel, dRecurrentKernel, dBias?] (indexed: no iterator per step)
      gradients[0].data.set(lstmViews.dW);
      gradients[1].data.set(lstmViews.dU);
      if (gradients.length === 3) gradients[2].data.set(lstmViews.dBias);
      this.denseGradients[0].data.set(views.dDenseKernel);
      if (this.denseGradients.length === 2) this.denseGradients[1].data.set(views.dDenseBias);
    }
    let badValue = 0;
    if (status === 2) for (const v of views.dLogits) if (!Number.isFinite(v)) { badValue = v; break; }
    const counted = this.accuracy === 'binary' ? views.output.length : this.accuracy === 'categorical' ? this.B : 0;
    return { status, loss: this.results[0], correct: this.results[1], counted, badValue };
  }
}
