/**
 * Byte comparison whose running time does not depend on where two inputs differ.
 *
 * @module
 */

/**
 * Returns whether `a` and `b` hold the same bytes. Every byte pair is visited and folded into one
 * accumulator with XOR and OR, with no early exit and no data-dependent branch, so the time
 * depends only on the length. Lengths are compared first: here they are public (32-byte HMACs).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) {
    difference |= a[i]! ^ b[i]!;
  }
  return difference === 0;
}
