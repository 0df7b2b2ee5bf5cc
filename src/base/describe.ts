/**
 * How error messages write what they got: 0, "0" (a string, quoted), undefined, an array of
 * length 3, a tensor of shape [2, 3]. Every part's messages use these, so they read the same
 * everywhere. (A class describes itself through `describeAs`: Tensor does, so this file needs no
 * import of the tensor core.)
 */

/** A method key: an object with `[describeAs]()` is written as what it returns ("a tensor of shape [2, 3]"). */
export const describeAs: unique symbol = Symbol('describeAs');

/** A shape as messages write it: [2, null, 5]. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** What a value is, as a message says it got it. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object' && typeof (value as { [describeAs]?: unknown })[describeAs] === 'function') return (value as { [describeAs](): string })[describeAs]();
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  if (typeof value === 'string') return JSON.stringify(value); // quoted: "0" is not the number 0
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  return String(value); // a number (NaN and Infinity included), a boolean, undefined, a symbol
}
