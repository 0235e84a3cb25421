import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives memory back after a rush. Under thousands of writes a second V8 grows its heap to two or
 * three times what is live and returns the pages only slowly; a store's node then sits idle for
 * most of the day. When no request came for a while, a full GC is run, again every few seconds
 * (up to three times) while the heap stays much larger than what is live.
 */
export function startIdleGc(opts: { lastRequestAt: () => number; idleMs?: number; checkEveryMs?: number }): () => void {
  const idleMs = opts.idleMs ?? 2000;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') return () => {};
  let collectedAt = 0;
  let retries = 0;
  const timer = setInterval(() => {
    const last = opts.lastRequestAt();
    if (Date.now() - last < idleMs) return;
    if (last >= collectedAt) retries = 3; // activity since the last GC: a new quiet spell
    if (retries === 0) return;
    retries--;
    gc();
    collectedAt = Date.now();
    // V8 often shrinks the heap only at the GC after the one that freed the space (measured: a
    // first GC left 157 MB committed for 6 MB live, the second 38 MB), so a GC that leaves much
    // more committed than live is followed by another a few seconds later, up to three a spell.
    const { heapTotal, heapUsed } = process.memoryUsage();
    if (heapTotal < heapUsed * 1.25) retries = 0;
  }, opts.checkEveryMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}
