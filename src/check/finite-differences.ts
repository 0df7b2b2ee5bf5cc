/**
 * Central finite differences against analytic gradients: the engine behind `gradCheck`.
 *
 *   numeric_i = (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε
 *   error_i   = |analytic_i − numeric_i| / max(|analytic_i|, |numeric_i|, floor)
 *
 * The floor keeps entries whose true gradient is ~0 from dividing rounding noise by ~0: below
 * it the measure becomes an absolute error scaled by 1/floor. Run in float64: in float32 the
 * rounding of L alone (~1e-7 relative) swamps a difference quotient.
 *
 * An argument may name entries not to perturb (`skip`): entries where L is not differentiable
 * by construction and whose gradient is 0 by definition, such as the input entries of a masked
 * LSTM step (moving one of them off maskValue un-masks the step: a jump in L, not a slope).
 * Their analytic gradient is compared with an exact 0 instead of a finite difference.
 */
import type { TypedArray } from '../tensor/alloc.js';
import { formatShape, rowMajorStrides } from '../tensor/tensor.js';

/** One tensor whose entries are perturbed: its live storage, shape, and analytic gradient. */
export interface CheckedArgument {
  name: string;
  values: TypedArray;
  shape: readonly number[];
  analytic: ArrayLike<number>;
  /** Entries (flat indices, row-major) not to perturb: 1 = their gradient is 0 by definition; compared with 0. */
  skip?: Uint8Array;
}

export interface GradCheckEntry {
  /** What was perturbed: 'input', 'lstm_1/kernel', 'yPred', ... */
  argument: string;
  maxRelativeError: number;
  /** Where the worst error of this argument occurred. */
  index: number[];
  analytic: number;
  numeric: number;
}

export interface GradCheckResult {
  /** The worst relative error over every checked entry. */
  maxRelativeError: number;
  worst: GradCheckEntry;
  /** The worst entry of each argument. */
  arguments: GradCheckEntry[];
  /** How many entries were perturbed and compared with a finite difference. */
  entriesChecked: number;
  /** How many entries were not perturbed (`CheckedArgument.skip`) and compared with an exact 0 instead. */
  entriesSkipped: number;
}

export interface FiniteDifferenceOptions {
  /** Step ε, a finite number > 0. Default 1e-5 (smaller steps let the rounding of L, divided by 2ε, dominate). */
  epsilon?: number;
  /** Denominator floor of the relative error, a finite number > 0. Default 1e-3. */
  floor?: number;
}

export function compareWithFiniteDifferences(args: CheckedArgument[], objective: () => number, options: FiniteDifferenceOptions = {}): GradCheckResult {
  const epsilon = options.epsilon ?? 1e-5;
  const floor = options.floor ?? 1e-3;
  const entries: GradCheckEntry[] = [];
  let entriesChecked = 0;
  let entriesSkipped = 0;
  for (const arg of args) {
    let worst: GradCheckEntry = { argument: arg.name, maxRelativeError: 0, index: [], analytic: 0, numeric: 0 };
    let worstFlat = -1;
    for (let i = 0; i < arg.values.length; i++) {
      if (arg.skip?.[i] === 1) {
        // Not perturbed: the gradient is 0 by definition (the reported 'numeric' is that 0).
        const analytic = arg.analytic[i];
        if (!Number.isFinite(analytic)) notFinite(arg, i, `the analytic gradient is ${analytic}`);
        const error = Math.abs(analytic) / Math.max(Math.abs(analytic), floor);
        entriesSkipped++;
        if (error > worst.maxRelativeError || worstFlat < 0 || Number.isNaN(error)) {
          worst = { argument: arg.name, maxRelativeError: error, index: [], analytic, numeric: 0 };
          worstFlat = i;
        }
        continue;
      }
      const saved = arg.values[i];
      arg.values[i] = saved + epsilon;
      const plus = objective();
      arg.values[i] = saved - epsilon;
      const minus = objective();
      arg.values[i] = saved; // restore exactly
      const numeric = (plus - minus) / (2 * epsilon);
      const analytic = arg.analytic[i];
      if (!Number.isFinite(analytic)) notFinite(arg, i, `the analytic gradient is ${analytic}`);
      if (!Number.isFinite(numeric)) notFinite(arg, i, `the finite difference is ${numeric} (the objective was ${plus} at +epsilon and ${minus} at -epsilon)`);
      const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), floor);
      entriesChecked++;
      if (error > worst.maxRelativeError || worstFlat < 0 || Number.isNaN(error)) {
        worst = { argument: arg.name, maxRelativeError: error, index: [], analytic, numeric };
        worstFlat = i;
      }
    }
    if (worstFlat >= 0) worst.index = unravel(worstFlat, arg.shape);
    entries.push(worst);
  }
  const overall = entries.reduce<GradCheckEntry | undefined>(
    (best, e) => (best === undefined || e.maxRelativeError > best.maxRelativeError || Number.isNaN(e.maxRelativeError) ? e : best),
    undefined,
  ) ?? { argument: '(nothing)', maxRelativeError: 0, index: [], analytic: 0, numeric: 0 };
  return { maxRelativeError: overall.maxRelativeError, worst: overall, arguments: entries, entriesChecked, entriesSkipped };
}

/**
 * A NaN or infinite gradient makes no relative error (a NaN one would compare false with any
 * tolerance and pass `err > tol`): the check stops and says where.
 */
function notFinite(arg: CheckedArgument, flat: number, what: string): never {
  throw new RangeError(`gradCheck: ${arg.name} at index ${formatShape(unravel(flat, arg.shape))}: ${what}; no relative error can be computed`);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const strides = rowMajorStrides(shape);
  return strides.map((s) => {
    const i = Math.floor(flat / s);
    flat -= i * s;
    return i;
  });
}
