/**
 * sigmoid and tanh for float32 layers: float64 arithmetic with a short polynomial for e^x,
 * accurate far beyond float32's precision (relative error below 1e-9, where a float32 rounding
 * is 6e-8), so a float32 result is the one Math.exp / Math.tanh would give except in rare
 * last-bit ties. A float32 LSTM cell spends most of its time in these functions; a call to
 * Math.exp or Math.tanh costs more than the polynomial, and only plain arithmetic can run in
 * WebAssembly SIMD: the fused kernel (src/layers/recurrent/wasm/lstm.wat) computes these formulas two
 * lanes at a time with the same float64 operations in the same order, so the same bits.
 * float64 layers keep Math.exp and Math.tanh (elementwise.ts).
 *
 *   e^x:      x clamped to [-104, 104] (beyond it every float32 result saturates anyway);
 *             n = floor(x·log2(e) + 1/2), r = (x - n·ln2_hi) - n·ln2_lo, so |r| ≤ ln2/2 and
 *             e^x = 2^n·e^r; e^r by its Taylor polynomial to r^8 (truncation < 3e-10 relative).
 *   σ(x)  = 1 / (1 + e^-x)
 *   tanh(x):  |x| < 0.4: x + x³·q(x²), q the Taylor series of (tanh x - x) / x³ to x^12;
 *             else sign(x)·(1 - 2 / (e^2|x| + 1)).
 *
 * test/float32-activations.test.ts measures the accuracy over every range.
 */

// ln 2 split as fdlibm splits it: LN2_HI has 32 significant bits, so n·LN2_HI is exact here.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const LOG2E = 1.4426950408889634;
const EXP_LIMIT = 104;
// Taylor coefficients 1/k! of e^r, k = 2 … 8.
const E2 = 1 / 2;
const E3 = 1 / 6;
const E4 = 1 / 24;
const E5 = 1 / 120;
const E6 = 1 / 720;
const E7 = 1 / 5040;
const E8 = 1 / 40320;
// (tanh x - x) / x³ = T3 + T5 x² + T7 x⁴ + … (tanh's Taylor coefficients), for |x| < TANH_SMALL.
const TANH_SMALL = 0.4;
const T3 = -1 / 3;
const T5 = 2 / 15;
const T7 = -17 / 315;
const T9 = 62 / 2835;
const T11 = -1382 / 155925;
const T13 = 21844 / 6081075;
const T15 = -929569 / 638512875;

/** 2^n for every n that expFloat32 reaches (|n| ≤ 151), at index n + 160. */
const POW2 = Float64Array.from({ length: 321 }, (_, k) => 2 ** (k - 160));

/** e^x to float32 precision (see above). */
export function expFloat32(x: number): number {
  const xc = x < -EXP_LIMIT ? -EXP_LIMIT : x > EXP_LIMIT ? EXP_LIMIT : x;
  const n = Math.floor(xc * LOG2E + 0.5); //             x = n·ln2 + r
  const r = xc - n * LN2_HI - n * LN2_LO;
  // e^r = 1 + r + r²/2 + … + r^8/8!
  const er = 1 + r * (1 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * E8)))))));
  return er * POW2[n + 160]; //                         e^x = e^r·2^n
}

/** σ(x) = 1 / (1 + e^-x) to float32 precision. */
export function sigmoidFloat32(x: number): number {
  return 1 / (1 + expFloat32(-x));
}

/** tanh(x) to float32 precision. */
export function tanhFloat32(x: number): number {
  const t = x < 0 ? -x : x;
  if (t < TANH_SMALL) {
    const x2 = x * x;
    const q = T3 + x2 * (T5 + x2 * (T7 + x2 * (T9 + x2 * (T11 + x2 * (T13 + x2 * T15)))));
    return x + x * x2 * q; //                            tanh x = x + x³·q(x²)
  }
  const large = 1 - 2 / (expFloat32(2 * t) + 1); //     tanh|x| = 1 - 2 / (e^2|x| + 1)
  return x < 0 ? -large : large;
}
