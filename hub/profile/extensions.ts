import type { ProfileExtension } from './base.ts';

/**
 * Several extensions as one, run in the order given: each `extend` sees the fields the ones
 * before it added (tags read stage and RFM), and each whole-base pass runs after the ones before
 * it (tags that read RFM after RFM is re-scored).
 */
export function composeExtensions(...parts: ProfileExtension[]): ProfileExtension {
  return {
    extend(goldenId, p, lists, day) {
      for (const x of parts) x.extend(goldenId, p, lists, day);
    },
    computedAll(base, day) {
      for (const x of parts) x.computedAll?.(base, day);
    },
  };
}
