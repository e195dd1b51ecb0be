/** Returns the median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Formats a ratio as a percentage with one decimal. */
export function percent(ratio) {
  return `${(ratio * 100).toFixed(1)} %`;
}
