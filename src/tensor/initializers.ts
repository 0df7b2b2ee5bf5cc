/**
 * Weight initializers, as Keras defines them. All draw from the seeded generator in random.ts.
 *
 *   glorotUniform: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut))
 *   glorotNormal:  truncated N(0, σ) at 2σ, σ = sqrt(2 / (fanIn + fanOut)) / 0.8796...
 *   orthogonal:    the Q of a QR decomposition of a normal matrix, over the whole 2-D shape,
 *                  so a [units, 4·units] recurrent kernel R has orthonormal rows: R·Rᵀ = I
 *   randomUniform: U(-0.05, 0.05), Keras' RandomUniform with its default minval / maxval (the
 *                  Embedding's default, 'uniform' in Keras 2 and TF.js' 'randomUniform')
 *   zeros, ones
 *
 * For a 2-D shape [rows, cols], fanIn = rows and fanOut = cols (Keras' rule), so an LSTM kernel
 * [inputDim, 4·units] has fanOut = 4·units.
 *
 * `withoutDrawing(build)` runs `build` with every initializer giving zeros and drawing nothing:
 * loading a saved model builds its layers that way, since their weights are replaced at once, so
 * loading costs no random numbers (the seeded stream is where it was) and no time drawing them.
 */
import { allocate, type DType } from './alloc.js';
import { randomNormal, randomUniform } from './random.js';
import { Tensor, formatShape, sizeOf } from './tensor.js';

export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'orthogonal' | 'randomUniform' | 'zeros' | 'ones';

const ALIASES: Record<string, InitializerName> = {
  glorotUniform: 'glorotUniform',
  glorot_uniform: 'glorotUniform',
  GlorotUniform: 'glorotUniform',
  glorotNormal: 'glorotNormal',
  glorot_normal: 'glorotNormal',
  GlorotNormal: 'glorotNormal',
  orthogonal: 'orthogonal',
  Orthogonal: 'orthogonal',
  randomUniform: 'randomUniform',
  random_uniform: 'randomUniform',
  RandomUniform: 'randomUniform',
  uniform: 'randomUniform',
  zeros: 'zeros',
  Zeros: 'zeros',
  ones: 'ones',
  Ones: 'ones',
};

/** Resolve an initializer name (camelCase, snake_case or Keras class name). */
export function resolveInitializer(name: unknown, argument: string): InitializerName {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(ALIASES, name)) return ALIASES[name];
  throw new TypeError(`${argument}: unknown initializer ${JSON.stringify(name)}; expected one of 'glorotUniform', 'glorotNormal', 'orthogonal', 'randomUniform', 'zeros', 'ones' (snake_case spellings are accepted too)`);
}

export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  // Convolution-style kernels: receptive field × channels (not used by the current layers).
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** True inside withoutDrawing: initialize gives zeros and draws nothing. */
let drawing = true;

/**
 * Run `build` with every initializer giving zeros without drawing a random number (for weights
 * about to be replaced, as when a saved model is loaded). Restores the previous mode afterwards,
 * also when `build` throws.
 */
export function withoutDrawing<T>(build: () => T): T {
  const before = drawing;
  drawing = false;
  try {
    return build();
  } finally {
    drawing = before;
  }
}

export function initialize(name: InitializerName, shape: readonly number[], dtype: DType): Tensor {
  if (!drawing) return new Tensor(allocate(dtype, sizeOf(shape)), shape);
  switch (name) {
    case 'zeros':
      return new Tensor(allocate(dtype, sizeOf(shape)), shape);
    case 'ones':
      return new Tensor(allocate(dtype, sizeOf(shape)).fill(1), shape);
    case 'glorotUniform':
      return glorotUniform(shape, dtype);
    case 'glorotNormal':
      return glorotNormal(shape, dtype);
    case 'orthogonal':
      return orthogonal(shape, dtype);
    case 'randomUniform':
      return randomUniformTensor(shape, dtype);
  }
}

export function glorotUniform(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * randomUniform() - 1) * limit;
  return new Tensor(data, shape);
}

/** Keras' RandomUniform(minval = -0.05, maxval = 0.05): minval + (maxval − minval) · u. */
export function randomUniformTensor(shape: readonly number[], dtype: DType = 'float32', minval = -0.05, maxval = 0.05): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = minval + (maxval - minval) * randomUniform();
  return new Tensor(data, shape);
}

export function glorotNormal(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  // 0.8796... is the standard deviation of a unit normal truncated at ±2 (Keras' correction).
  const stddev = Math.sqrt(2 / (fanIn + fanOut)) / 0.87962566103423978;
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    let z = randomNormal();
    while (Math.abs(z) > 2) z = randomNormal();
    data[i] = z * stddev;
  }
  return new Tensor(data, shape);
}

/**
 * Orthogonal initializer (Keras / TF form). Flatten to [rows, cols] with cols the last axis;
 * draw a normal matrix of shape [max, min], orthonormalise its columns (Gram–Schmidt gives the
 * QR factor with a positive diagonal in R, which is TF's `q * sign(diag(r))`), and transpose
 * when rows < cols. Computed in float64, stored in the requested dtype.
 */
export function orthogonal(shape: readonly number[], dtype: DType = 'float32', gain = 1): Tensor {
  if (shape.length < 2) throw new RangeError(`orthogonal: expected a shape of rank 2 or more, got ${formatShape(shape)}`);
  const cols = shape[shape.length - 1];
  const rows = sizeOf(shape) / Math.max(cols, 1);
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // q: [tall, narrow], column-major in this scratch array for cache-friendly column work.
  const q = new Float64Array(tall * narrow);
  for (let i = 0; i < q.length; i++) q[i] = randomNormal();
  for (let j = 0; j < narrow; j++) {
    const col = j * tall;
    // Two passes of modified Gram–Schmidt ("twice is enough") keep Qᵀ·Q = I to rounding.
    for (let pass = 0; pass < 2; pass++) {
      for (let prev = 0; prev < j; prev++) {
        const other = prev * tall;
        let dot = 0;
        for (let i = 0; i < tall; i++) dot += q[other + i] * q[col + i];
        for (let i = 0; i < tall; i++) q[col + i] -= dot * q[other + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += q[col + i] * q[col + i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < tall; i++) q[col + i] /= norm;
  }
  const data = allocate(dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows >= cols: out[r, c] = Q[r, c];  rows < cols: out = Qᵀ, out[r, c] = Q[c, r].
      data[r * cols + c] = gain * (rows >= cols ? q[c * tall + r] : q[r * tall + c]);
    }
  }
  return new Tensor(data, shape);
}
