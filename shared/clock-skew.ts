/**
 * A store's clock against the hub's. Every request of a node to the hub carries the node's clock
 * at sending (CLOCK_HEADER); the hub subtracts its own at receipt. The request's time on the wire
 * only ever lowers what is seen (seen = skew − delay), so the best estimate is the highest seen
 * lately. A heartbeat document cannot tell this: written offline, it arrives minutes late, and a
 * store ten minutes ahead would look two minutes ahead.
 */

export const CLOCK_HEADER = 'x-memberedge-clock';

/** The highest skew seen in the current window and in the one before (null before any). */
export interface SkewWindow {
  startedAt: number;
  current: number;
  previous: number | null;
}

/** How long one window lasts: a clock set right is believed within two of them. */
export const SKEW_WINDOW_MS = 60_000;

/** Offsets within this are the wire's noise, not a wrong clock: ordering treats them as 0. */
export const SKEW_NOISE_MS = 2_000;

/**
 * The window after seeing `seenMs` (store clock − hub clock) at hub time `now`.
 *
 * @example observeSkew(undefined, 600_000, 0) // → { startedAt: 0, current: 600_000, previous: null }
 */
export function observeSkew(w: SkewWindow | undefined, seenMs: number, now: number, windowMs = SKEW_WINDOW_MS): SkewWindow {
  if (!w) return { startedAt: now, current: seenMs, previous: null };
  const elapsed = now - w.startedAt;
  if (elapsed < windowMs) return { ...w, current: Math.max(w.current, seenMs) };
  // One window on: the current one becomes the previous; more than one: both are stale.
  return { startedAt: now, current: seenMs, previous: elapsed < 2 * windowMs ? w.current : null };
}

/**
 * How far the store's clock is ahead of the hub's (negative: behind), rounded to 0 within the
 * noise of the wire.
 *
 * @example skewOf({ startedAt: 0, current: 590_000, previous: 600_000 }) // → 600_000
 */
export function skewOf(w: SkewWindow): number {
  const best = w.previous === null ? w.current : Math.max(w.current, w.previous);
  return Math.abs(best) <= SKEW_NOISE_MS ? 0 : best;
}

/** The clock a request claims, in ms, or undefined when absent or not a time. */
export function claimedClock(header: string | undefined): number | undefined {
  if (header === undefined || header.length > 40) return undefined;
  const t = Date.parse(header);
  return Number.isFinite(t) ? t : undefined;
}
