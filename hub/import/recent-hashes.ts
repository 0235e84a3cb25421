/**
 * Remembers the hashes of the last rows seen, in two generations of `window` entries: a hash is
 * found if it was added within the last `window` to `2 × window` additions. This bounds the memory
 * of duplicate detection (about 70 bytes a hash, so 14 MB for the default 100,000) whatever the
 * file's size, at the price of missing duplicates that lie farther apart than that.
 */
export function recentHashes(window = 100_000) {
  let current = new Set<string>();
  let previous = new Set<string>();
  return {
    /** Adds the hash; false if it was already there. */
    add(hash: string): boolean {
      if (current.has(hash) || previous.has(hash)) return false;
      if (current.size >= window) {
        previous = current;
        current = new Set();
      }
      current.add(hash);
      return true;
    },
  };
}
