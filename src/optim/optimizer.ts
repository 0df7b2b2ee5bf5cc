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
 * the first slot is created or the first weight is written. An update that would leave a weight or
 * a slot non-finite (an overflow: a learning rate of 1e300, a huge gradient in float32) is undone:
 * the weights, the slots and the iteration count are put back as they were, and applyGradients
 * throws (the model's training step reports it as a stopped batch). To undo it, each update first
 * copies what it is about to change (a memcpy per array, buffers reused), and checks the result
 * inside its own loop: each loop sums x·0 over the values it writes, 0 while all are finite.
 *
 * An optimizer belongs to one model: `compile` claims it (claimOptimizer), and refuses one that
 * another model claimed, since its slots are made for one list of parameters.
 *
 * The model's training step calls `applyValidatedGradients` (keyed by a symbol that src/index.ts
 * does not export): it has already checked every gradient for NaN / Infinity, and its parameter
 * list is fixed once the model is built, so the per-step re-validation is skipped there. With
 * `host`, the model also lets the optimizer keep the parameters' and gradients' storage in its own
 * memory (Adam's WebAssembly kernel): the Tensor objects stay the model's, their `data` becomes a
 * view of the optimizer's memory, and the per-step copies in and out go.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { Tensor, assertFinite, describe, firstNonFinite, formatShape, sameShape, toTensor, zeros } from '../tensor/tensor.js';
import { checkNonNegativeNumber } from '../base/options.js';
import { normScale, valueLimit, type Clipping } from './clip.js';

/** The built-in optimizers' class names; a registered optimizer of one's own (optim/registry.ts) has its own. */
export type OptimizerName = 'SGD' | 'Adam' | 'RMSprop' | (string & {});

/**
 * The key of the optimizer's unchecked update, for the model's training step only (not exported
 * from src/index.ts). The caller guarantees what `applyGradients` would check: one finite
 * gradient per parameter, each shaped like it, and the same parameter list at every call.
 */
export const applyValidatedGradients: unique symbol = Symbol('applyValidatedGradients');

/**
 * The key by which a model's `compile` claims an optimizer (not exported from src/index.ts):
 * `optimizer[claimOptimizer](model, where)` makes `model` its owner, or throws (changing nothing)
 * if another model owns it already.
 */
export const claimOptimizer: unique symbol = Symbol('claimOptimizer');

/** The key of the check that the optimizer's slots (if any) fit parameters of given shapes (not exported from src/index.ts). */
export const checkParameters: unique symbol = Symbol('checkParameters');

/** An update that was undone: the first value it made non-finite (nothing was changed). */
export interface NonFiniteUpdate {
  /** The parameter's index in the list passed to the update. */
  param: number;
  /** The slot's name (slotNames) when a slot went non-finite, undefined for the weight itself. */
  slot: string | undefined;
  /** The element's flat index in that tensor, and the value the update gave it. */
  index: number;
  value: number;
}

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
  /** Copies of what an update changes (every parameter, then every slot), taken before it to undo it; reused. */
  private backup: TypedArray[] = [];
  /** The model this optimizer belongs to (set by its compile), if any. */
  private owner: { readonly name: string } | undefined;

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
   * Returns the sum of x·0 over every value written (0 when all are finite, NaN otherwise); a
   * subclass that returns nothing has its results scanned instead (slower, the same outcome).
   */
  protected abstract update(w: TypedArray, g: TypedArray, slots: TypedArray[], scale: number, limit: number, t: number): number | void;

  abstract getConfig(): Record<string, unknown>;

  /**
   * One update, in place: params[i] moves along -grads[i]. Grads are not modified. An update that
   * would make a weight or a slot non-finite is undone and throws (see the file's comment).
   */
  applyGradients(params: Tensor[], grads: Tensor[]): void {
    const where = `${this.className}.applyGradients`;
    this.validate(params, grads, where);
    // Slots in another dtype than their parameters (set up for other tensors) are converted first.
    if (this.slots?.some((paramSlots, i) => paramSlots.some((slot) => slot.dtype !== params[i].dtype))) this.slotData = undefined;
    const refused = this[applyValidatedGradients](params, grads);
    if (refused !== undefined) {
      const what = refused.slot === undefined ? `params[${refused.param}]` : `the ${refused.slot} slot of params[${refused.param}]`;
      throw new RangeError(`${where}: the update would make ${what} non-finite (${refused.value} at flat index ${refused.index}); it was undone, so the weights, the slots and iterations (${this.iterationCount}) are as before (lower the learning rate, or clip the gradients with clipNorm or clipValue)`);
    }
  }

  /**
   * applyGradients without its checks (see the symbol's comment): the model's per-step path; `host`
   * as said there. Returns undefined when applied, or what went non-finite when the update was undone.
   */
  [applyValidatedGradients](params: Tensor[], grads: Tensor[], host = false): NonFiniteUpdate | undefined {
    const fresh = this.slots === undefined;
    const slotData = this.slotData ?? this.prepareSlots(params);
    const t = this.iterationCount + 1;
    let refused: NonFiniteUpdate | undefined;
    const done = this.clipNorm === null && this.clipValue === null ? this.updateAll(params, grads, t, host, slotData) : false;
    if (done === false) {
      // Unset clipping is a scale of exactly 1 and a limit of Infinity; update() then runs its plain loop.
      const limit = valueLimit(this.clipValue);
      const backup = this.keep(params, slotData);
      let check = 0;
      for (let i = 0; i < params.length; i++) {
        const g = grads[i].data;
        const w = params[i].data;
        const result = this.update(w, g, slotData[i], normScale(g, this.clipNorm), limit, t);
        check += typeof result === 'number' ? result : nonFiniteSum(w, slotData[i]);
      }
      if (check !== 0) {
        refused = this.firstNonFinite(params.map((p) => p.data), slotData);
        restore(params, slotData, backup);
      }
    } else if (done !== true) {
      refused = done;
    }
    if (refused === undefined) {
      this.iterationCount = t;
    } else if (fresh) {
      // The slots made for this update go too: the optimizer is "not started", as before.
      this.slots = undefined;
      this.slotData = undefined;
    }
    return refused;
  }

  /** Copy every parameter and slot into the reused backup buffers (before an update). */
  private keep(params: Tensor[], slotData: TypedArray[][]): TypedArray[] {
    const backup = this.backup;
    let k = 0;
    for (let i = 0; i < params.length; i++) keepOne(backup, k++, params[i].data);
    for (let i = 0; i < slotData.length; i++) for (let j = 0; j < slotData[i].length; j++) keepOne(backup, k++, slotData[i][j]);
    return backup;
  }

  /** The first non-finite value among the weights (param by param, each before its slots), for the report of an undone update. */
  protected firstNonFinite(weights: TypedArray[], slotData: TypedArray[][]): NonFiniteUpdate {
    const names = this.slotNames;
    for (let i = 0; i < weights.length; i++) {
      const arrays = [weights[i], ...slotData[i]];
      for (let k = 0; k < arrays.length; k++) {
        const at = firstNonFinite(arrays[k]);
        if (at >= 0) return { param: i, slot: k === 0 ? undefined : names[k - 1], index: at, value: arrays[k][at] };
      }
    }
    return { param: 0, slot: undefined, index: 0, value: NaN }; // not reached: the check saw a non-finite value
  }

  /**
   * Why slots that exist do not fit parameters of these shapes (undefined: they fit, or there are none yet).
   */
  private slotsMisfit(shapes: readonly (readonly number[])[]): string | undefined {
    const slots = this.slots;
    if (slots === undefined) return undefined;
    if (slots.length !== shapes.length) {
      return `the optimizer's slots were made for ${slots.length} parameters (by setState or an earlier update), but the update has ${shapes.length}; use a new optimizer, or setState with slots for these parameters`;
    }
    for (let i = 0; i < shapes.length; i++) {
      const first = slots[i][0];
      if (first !== undefined && !sameShape(first.shape, shapes[i])) {
        return `the optimizer's slots for parameter ${i} have shape ${formatShape(first.shape)} (from setState or an earlier update), but the parameter has shape ${formatShape(shapes[i])}; use a new optimizer, or setState with slots for these parameters`;
      }
    }
    return undefined;
  }

  /** Throws (changing nothing) if the optimizer's slots do not fit parameters of these shapes: a model's fit asks before building. */
  [checkParameters](shapes: readonly (readonly number[])[], where: string): void {
    const misfit = this.slotsMisfit(shapes);
    if (misfit !== undefined) throw new RangeError(`${where}: ${misfit}`);
  }

  /**
   * The optimizer's owner from now on: `model`, unless another model owns it (then it throws,
   * changing nothing). Called by a model's compile, after every other check.
   */
  [claimOptimizer](model: { readonly name: string }, where: string): void {
    const owner = this.owner;
    if (owner !== undefined && owner !== model) {
      throw new Error(`${where}: optimizer is already used by model '${owner.name}'; give each model its own optimizer, e.g. new ${this.className}({ ${Object.entries(this.getConfig()).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}: ${String(v)}`).join(', ')} }) (its slots are made for one model's weights)`);
    }
    this.owner = model;
  }

  /** Create the slots on the first update (zeros shaped like each parameter), or bring restored ones to the parameters' dtypes. */
  private prepareSlots(params: Tensor[]): TypedArray[][] {
    if (this.slots === undefined) {
      this.slots = params.map((p) => this.slotNames.map(() => zeros(p.shape, p.dtype)));
    } else {
      // Slots restored by setState (or made by an earlier applyGradients) must fit these parameters.
      const misfit = this.slotsMisfit(params.map((p) => p.shape));
      if (misfit !== undefined) throw new RangeError(`${this.className}: ${misfit}`);
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
   * false when the subclass has none, and update() then runs per parameter; true when applied; or,
   * when it made a value non-finite, what (firstNonFinite) after putting everything back itself.
   * `host`: the caller lets it move the tensors' storage into its own memory (see
   * applyValidatedGradients). slotData: the slots' arrays, as update() gets them.
   */
  protected updateAll(_params: Tensor[], _grads: Tensor[], _t: number, _host: boolean, _slotData: TypedArray[][]): boolean | NonFiniteUpdate {
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

/** Sum of x·0 over a weight and its slots: 0 when all are finite, NaN otherwise (for an update() that returns nothing). */
function nonFiniteSum(w: TypedArray, slots: TypedArray[]): number {
  let check = firstNonFinite(w) >= 0 ? NaN : 0;
  for (const s of slots) if (firstNonFinite(s) >= 0) check = NaN;
  return check;
}

/** backup[k] ← a copy of a (the buffer made or remade to fit). */
function keepOne(backup: TypedArray[], k: number, a: TypedArray): void {
  let b = backup[k];
  if (b === undefined || b.length !== a.length || b.constructor !== a.constructor) {
    b = backup[k] = a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
  }
  b.set(a);
}

/** Put the backup (keep's order: parameters, then slots) back. */
function restore(params: Tensor[], slotData: TypedArray[][], backup: TypedArray[]): void {
  let k = 0;
  for (let i = 0; i < params.length; i++) params[i].data.set(backup[k++]);
  for (let i = 0; i < slotData.length; i++) for (let j = 0; j < slotData[i].length; j++) slotData[i][j].set(backup[k++]);
}
