import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives memory back after a rush. Under thousands of writes a second V8 grows its heap to two or
 * three times what is live and returns the pages only slowly; a store's node then sits idle for
 * most of the day. When no request came for a while, a full GC is run, again every few seconds
 * while the heap stays much larger than what is live.
 */
export function startIdleGc(opts: { lastRequestAt: () => number; idleMs?: number; checkEveryMs?: number }): () => void {
  const idleMs = opts.idleMs ?? 2000;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') return () => {};
  let collectedAt = 0;
  let shrinking = false;
  const timer = setInterval(() => {
    const last = opts.lastRequestAt();
    if (Date.now() - last < idleMs) return;
    // Once per quiet spell after activity, then again while each GC still gives pages back.
    if (last < collectedAt && !shrinking) return;
    const before = process.memoryUsage().heapTotal;
    gc();
    collectedAt = Date.now();
    shrinking = process.memoryUsage().heapTotal < before * 0.95;
  }, opts.checkEveryMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}
