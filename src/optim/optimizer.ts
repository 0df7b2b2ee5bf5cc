/**
 * The Optimizer contract and the bookkeeping every optimizer shares: validation, lazily created
 * slots, the iteration count, gradient clipping, state export and import. Subclasses supply only
 * their slot names and one update loop per parameter tensor.
 *
 *   optimizer.applyGradients(params, grads)   one step, in place on params (grads untouched)
 *   optimizer.getState() / setState(state)    iterations + slot tensors, for checkpoints
 *   optimizer.getConfig()                     every option, Keras names in camelCase
 *
 * A call that fails validation changes nothing: every shape, length and value is checked before
 * the first slot is created or the first weight is written.
 *
 * The model's training step calls `applyValidatedGradients` (keyed by a symbol that src/index.ts
 * does not export): it has already checked every gradient for NaN / Infinity, and its parameter
 * list is fixed once the model is built, so the per-step re-validation is skipped there. With
 * `host`, the model also lets the optimizer keep the parameters' and gradients' storage in its own
 * memory (Adam's WebAssembly kernel): the Tensor objects stay the model's, their `data` becomes a
 * view of the optimizer's memory, and the per-step copies in and out go.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { Tensor, assertFinite, describe, formatShape, sameShape, toTensor, zeros } from '../tensor/tensor.js';
import { checkNonNegativeNumber } from '../common/options.js';
import { normScale, valueLimit, type Clipping } from './clip.js';

/** The built-in optimizers' class names; a registered optimizer of one's own (optim/registry.ts) has its own. */
export type OptimizerName = 'SGD' | 'Adam' | 'RMSprop' | (string & {});

/**
 * The key of the optimizer's unchecked update, for the model's training step only (not exported
 * from src/index.ts). The caller guarantees what `applyGradients` would check: one finite
 * gradient per parameter, each shaped like it, and the same parameter list at every call.
 */
export const applyValidatedGradients: unique symbol = Symbol('applyValidatedGradients');

export interface OptimizerState {
  /** Updates applied so far (Adam's t). */
  iterations: number;
  /** slots[i]: the slot tensors of parameter i, in slotNames order (SGD: [velocity] or []; Adam: [m, v]; ...). */
  slots: Tensor[][];
}

export abstract class Optimizer {
  abstract readonly className: OptimizerName;
  protected readonly clipNorm: number | null;
  protected readonly clipValue: number | null;
  private lr: number;
  private iterationCount = 0;
  /** slots[i][k]: slot k of parameter i, shaped and typed like it; undefined until the first update. */
  private slots: Tensor[][] | undefined;
  /** slotData[i][k] = slots[i][k].data, kept so an update maps nothing; undefined when stale. */
  private slotData: TypedArray[][] | undefined;

  protected constructor(learningRate: number, clipping: Clipping) {
    this.lr = learningRate;
    this.clipNorm = clipping.clipNorm;
    this.clipValue = clipping.clipValue;
  }

  get learningRate(): number {
    return this.lr;
  }

  /** Change the learning rate between updates (for schedules); a finite number >= 0. */
  set learningRate(value: number) {
    this.lr = checkNonNegativeNumber(value, `${this.className}: learningRate`);
  }

  get iterations(): number {
    return this.iterationCount;
  }

  /** The names of the slots each parameter gets, in OptimizerState order. */
  abstract get slotNames(): readonly string[];

  /**
   * One update of one parameter tensor, in place on `w` and `slots`.
   * g: the raw gradient; each element is used as clipElement(scale · g[j], limit).
   * t: the iteration number of this update, starting at 1.
   */
  protected abstract update(w: TypedArray, g: TypedArray, slots: TypedArray[], scale: number, limit: number, t: number): void;

  abstract getConfig(): Record<string, unknown>;

  /** One update, in place: params[i] moves along -grads[i]. Grads are not modified. */
  applyGradients(params: Tensor[], grads: Tensor[]): void {
    this.validate(params, grads, `${this.className}.applyGradients`);
    // Slots in another dtype than their parameters (set up for other tensors) are converted first.
    if (this.slots?.some((paramSlots, i) => paramSlots.some((slot) => slot.dtype !== params[i].dtype))) this.slotData = undefined;
    this[applyValidatedGradients](params, grads);
  }

  /** applyGradients without its checks (see the symbol's comment): the model's per-step path; `host` as said there. */
  [applyValidatedGradients](params: Tensor[], grads: Tensor[], host = false): void {
    const slotData = this.slotData ?? this.prepareSlots(params);
    const t = ++this.iterationCount;
    if (this.clipNorm === null && this.clipValue === null && this.updateAll(params, grads, t, host)) return;
    // Unset clipping is a scale of exactly 1 and a limit of Infinity; update() then runs its plain loop.
    const limit = valueLimit(this.clipValue);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i].data;
      this.update(params[i].data, g, slotData[i], normScale(g, this.clipNorm), limit, t);
    }
  }

  /** Create the slots on the first update (zeros shaped like each parameter), or bring restored ones to the parameters' dtypes. */
  private prepareSlots(params: Tensor[]): TypedArray[][] {
    if (this.slots === undefined) {
      this.slots = params.map((p) => this.slotNames.map(() => zeros(p.shape, p.dtype)));
    } else {
      // Slots restored by setState in another dtype follow their parameter's dtype from here on.
      for (let i = 0; i < params.length; i++) {
        const paramSlots = this.slots[i];
        for (let k = 0; k < paramSlots.length; k++) {
          if (paramSlots[k].dtype !== params[i].dtype) paramSlots[k] = paramSlots[k].clone(params[i].dtype);
        }
      }
    }
    this.slots = this.placeSlots(params, this.slots);
    this.slotData = this.slots.map((paramSlots) => paramSlots.map((s) => s.data));
    return this.slotData;
  }

  /**
   * Where the slots live: a subclass may move their values elsewhere (Adam: into its WebAssembly
   * kernel's memory) and return the tensors to use from then on. Called whenever the slots are
   * (re)made: on the first update, after setState, after a dtype change.
   */
  protected placeSlots(_params: Tensor[], slots: Tensor[][]): Tensor[][] {
    return slots;
  }

  /**
   * An update of every parameter at once, without clipping (Adam's WebAssembly kernel). Returns
   * false when the subclass has none, and update() then runs per parameter. `host`: the caller
   * lets it move the tensors' storage into its own memory (see applyValidatedGradients).
   */
  protected updateAll(_params: Tensor[], _grads: Tensor[], _t: number, _host: boolean): boolean {
    return false;
  }

  private validate(params: Tensor[], grads: Tensor[], where: string): void {
    if (!Array.isArray(params)) throw new TypeError(`${where}: params: expected an array of Tensors, got ${describe(params)}`);
    if (!Array.isArray(grads)) throw new TypeError(`${where}: grads: expected an array of Tensors, got ${describe(grads)}`);
    if (grads.length !== params.length) {
      throw new RangeError(`${where}: grads: expected ${params.length} tensors (one per parameter), got ${grads.length}`);
    }
    if (this.slots !== undefined && params.length !== this.slots.length) {
      throw new RangeError(`${where}: params: expected ${this.slots.length} tensors (the optimizer's slots were created for ${this.slots.length} parameters), got ${params.length}`);
    }
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = grads[i];
      if (!(p instanceof Tensor)) throw new TypeError(`${where}: params[${i}]: expected a Tensor, got ${describe(p)}`);
      if (!(g instanceof Tensor)) throw new TypeError(`${where}: grads[${i}]: expected a Tensor, got ${describe(g)}`);
      if (!sameShape(g.shape, p.shape)) {
        throw new RangeError(`${where}: grads[${i}]: expected shape ${formatShape(p.shape)} (the shape of params[${i}]), got ${formatShape(g.shape)}`);
      }
      const slot = this.slots?.[i][0];
      if (slot !== undefined && !sameShape(p.shape, slot.shape)) {
        throw new RangeError(`${where}: params[${i}]: expected shape ${formatShape(slot.shape)} (the shape its optimizer slots were created for), got ${formatShape(p.shape)}`);
      }
      assertFinite(g, `${where}: grads[${i}]`);
    }
  }

  /** Deep copies of the iteration count and every slot. */
  getState(): OptimizerState {
    return {
      iterations: this.iterationCount,
      slots: this.slots === undefined ? [] : this.slots.map((s) => s.map((slot) => slot.clone())),
    };
  }

  /**
   * Restore a state from getState (copied in). Checked first: iterations a non-negative integer,
   * slotNames.length finite slots per parameter, all of one shape. Whether they fit the parameters
   * is checked by the next applyGradients. An empty slot list means "not started": slots are
   * created on the next update.
   */
  setState(state: OptimizerState): void {
    const where = `${this.className}.setState`;
    if (state === null || typeof state !== 'object') throw new TypeError(`${where}: expected { iterations, slots }, got ${describe(state)}`);
    const { iterations, slots } = state;
    if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 0) {
      throw new RangeError(`${where}: iterations: expected a non-negative integer, got ${describe(iterations)}`);
    }
    if (!Array.isArray(slots)) throw new TypeError(`${where}: slots: expected an array (one entry per parameter), got ${describe(slots)}`);
    const names = this.slotNames;
    const copies = slots.map((paramSlots: unknown, i) => {
      if (!Array.isArray(paramSlots) || paramSlots.length !== names.length) {
        const got = Array.isArray(paramSlots) ? `${paramSlots.length}` : describe(paramSlots);
        throw new RangeError(`${where}: slots[${i}]: expected ${names.length} slot tensors [${names.join(', ')}] for this ${this.className} configuration, got ${got}`);
      }
      return paramSlots.map((value: unknown, k) => {
        const argument = `${where}: slots[${i}][${k}] (${names[k]})`;
        const slot = toTensor(value, argument);
        const first = k === 0 ? slot : toTensor(paramSlots[0], argument);
        if (!sameShape(slot.shape, first.shape)) {
          throw new RangeError(`${argument}: expected shape ${formatShape(first.shape)} (the shape of slots[${i}][0]), got ${formatShape(slot.shape)}`);
        }
        assertFinite(slot, argument);
        return slot.clone();
      });
    });
    this.iterationCount = iterations;
    this.slots = copies.length === 0 ? undefined : copies;
    this.slotData = undefined;
  }
}
