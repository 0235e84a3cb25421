import type { Profile } from './fields.ts';
import { compileCondition, type TagRule } from './tag-rules.ts';

/** What a rule would do today: how many members it tags, out of how many, and some of them. */
export interface TagPreview {
  day: string;
  evaluated: number;
  count: number;
  sample: string[];
}

/**
 * How many of the profiles a rule would tag on a day, with a sample of their ids (a reservoir
 * sample, seeded: the same base gives the same sample, spread over the whole base rather than
 * its first members). The rule is read as if active: a preview is asked of drafts and retired
 * rules too. Its window still counts: outside it, it tags no one.
 *
 * @example previewTagRule(rule, [['G1', profile]], '2026-06-01') // { day, evaluated: 1, count: 1, sample: ['G1'] }
 */
export function previewTagRule(rule: TagRule, profiles: Iterable<readonly [string, Profile]>, day: string, sampleSize = 20): TagPreview {
  const inWindow = (!rule.valid?.from || rule.valid.from <= day) && (!rule.valid?.to || day <= rule.valid.to);
  const holds = compileCondition(rule.condition);
  const sample: string[] = [];
  let evaluated = 0;
  let count = 0;
  let seed = 0x2545f491;
  const next = () => {
    // xorshift32: enough to spread a sample, and repeatable.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  for (const [id, profile] of profiles) {
    evaluated++;
    if (!inWindow || !holds(profile, day)) continue;
    count++;
    if (sample.length < sampleSize) sample.push(id);
    else {
      const j = Math.floor(next() * count);
      if (j < sampleSize) sample[j] = id;
    }
  }
  return { day, evaluated, count, sample };
}
