/**
 * Summary statistics for benchmark samples.
 *
 * @module
 */

/** Returns the `p`-th percentile (0–100) of `samples` by the nearest-rank method. */
export function percentile(samples, p) {
  if (samples.length === 0) throw new Error("percentile() needs at least one sample.");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Returns the median of `samples` (the 50th percentile by nearest rank). */
export function median(samples) {
  return percentile(samples, 50);
}

/** Formats `value` with `digits` decimals and thousands separators. */
export function formatNumber(value, digits = 0) {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
