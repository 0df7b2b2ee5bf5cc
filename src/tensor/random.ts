/**
 * The library's seeded random number generator. Every random choice in lstm-ts (weight
 * initialisation, shuffling in `fit`, example data) draws from here, so `setSeed(n)` makes a
 * whole program reproducible bit for bit.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128-bit state, seeded through splitmix32.
 */

const state = new Uint32Array(4);

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Seed the library's generator with an integer in [0, 2**32) (the generator's seed is 32 bits).
 * Anything else is refused rather than reduced: 1.5 and 2**32 + 1 would otherwise give the
 * stream of 1, so two seeds that look different would give the same program.
 */
export function setSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    const got = typeof seed === 'string' ? JSON.stringify(seed) : typeof seed === 'bigint' ? `the bigint ${seed}n` : String(seed);
    throw new (typeof seed === 'number' ? RangeError : TypeError)(`setSeed: seed: expected an integer in [0, 2**32) (0 to 4294967295), got ${got}`);
  }
  const next = splitmix32(seed >>> 0);
  for (let i = 0; i < 4; i++) state[i] = next();
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The next 32 random bits as an unsigned integer. */
export function nextUint32(): number {
  const result = Math.imul(rotl(Math.imul(state[1], 5) >>> 0, 7), 9) >>> 0;
  const t = (state[1] << 9) >>> 0;
  state[2] ^= state[0];
  state[3] ^= state[1];
  state[1] ^= state[2];
  state[0] ^= state[3];
  state[2] ^= t;
  state[3] = rotl(state[3], 11);
  return result;
}

/** Uniform in [0, 1) with 53 random bits. */
export function randomUniform(): number {
  const high = nextUint32() >>> 5; // 27 bits
  const low = nextUint32() >>> 6; // 26 bits
  return (high * 67108864 + low) / 9007199254740992;
}

/** A uniformly drawn integer in [0, n). */
export function randomInt(n: number): number {
  return Math.floor(randomUniform() * n);
}

/** Standard normal, by the Box–Muller transform (one value per call, nothing cached). */
export function randomNormal(): number {
  let u = randomUniform();
  while (u === 0) u = randomUniform();
  const v = randomUniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates shuffle of an index array, in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}

// Unseeded programs still get a random start, as in Keras; setSeed makes them reproducible.
setSeed(Math.floor(Math.random() * 0x100000000));
