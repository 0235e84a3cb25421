import { emptied, fold, impossible, kept, type Cleaned } from '../one-id/clean-result.ts';
import type { SourceRecord } from '../one-id/record.ts';
import { CONSENT_CHANNELS, type ConsentChannel, type ConsentDoc } from '../schemas/documents.ts';

/** A channel's consent as it stands: the latest fact, or none recorded. */
export interface ChannelConsent {
  channel: ConsentChannel;
  granted: boolean | null;
  source: ConsentDoc['source'] | null;
  storeId: string | null;
  at: string | null;
}

/**
 * Which of two consent facts on a channel stands: the later one; at the same instant a
 * withdrawal, since contacting someone who said no is the worse mistake; then the id, so any
 * arrival order gives the same answer.
 */
const later = (a: ConsentDoc, b: ConsentDoc): ConsentDoc => {
  if (a.at !== b.at) return a.at > b.at ? a : b;
  if (a.granted !== b.granted) return a.granted ? b : a;
  return a._id > b._id ? a : b;
};

/**
 * A member's consent per channel from their consent facts (any order, duplicates harmless):
 * the latest by time wins; a channel with none recorded is `granted: null` (campaigns treat it
 * as no).
 *
 * @example consentByChannel([{ channel: 'sms', granted: true, at: '2026-01-01T00:00:00.000Z', … }])
 * // [{ channel: 'sms', granted: true, … }, { channel: 'wechat', granted: null, … }, …]
 */
export function consentByChannel(facts: readonly ConsentDoc[]): ChannelConsent[] {
  const latest = new Map<ConsentChannel, ConsentDoc>();
  for (const f of facts) {
    const cur = latest.get(f.channel);
    latest.set(f.channel, cur ? later(cur, f) : f);
  }
  return CONSENT_CHANNELS.map((channel) => {
    const f = latest.get(channel);
    return f ? { channel, granted: f.granted, source: f.source, storeId: f.storeId, at: f.at } : { channel, granted: null, source: null, storeId: null, at: null };
  });
}

/** Whether a campaign may contact the member on the channel: only after a yes that still stands. */
export const mayContact = (facts: readonly ConsentDoc[], channel: ConsentChannel): boolean => consentByChannel(facts).find((c) => c.channel === channel)?.granted === true;

/** Newest first: the history as the console lists it. */
export const consentHistory = (facts: readonly ConsentDoc[]): ConsentDoc[] => [...facts].sort((a, b) => (a.at === b.at ? b._id.localeCompare(a._id) : b.at.localeCompare(a.at)));

/** How far ahead of the hub's clock a store's consent may be dated (clocks drift; a later date would win over an operator's). */
export const CONSENT_CLOCK_SLACK_MS = 10 * 60_000;

/**
 * Why a consent time is not believable, or undefined: not before the member registered
 * (a store's clock set back), not ahead of now by more than the slack (one set forward would
 * make its consent win over every later change).
 */
export function consentTimeRefusal(at: string, registeredAt: string | undefined, now: Date): string | undefined {
  if (Date.parse(at) > now.getTime() + CONSENT_CLOCK_SLACK_MS) return `consent dated ${at}, ahead of the hub's clock`;
  if (registeredAt !== undefined && at < registeredAt) return `consent dated ${at}, before the member registered (${registeredAt})`;
  return undefined;
}

const YES = new Set(['y', 'yes', 'true', '1', 'agree', 'agreed', 'opt-in', 'optin', '是', '同意', '已同意', '允许', '接受', '订阅']);
const NO = new Set(['n', 'no', 'false', '0', 'refuse', 'refused', 'opt-out', 'optout', '否', '不同意', '拒绝', '已拒绝', '不允许', '退订']);

/**
 * A consent cell of an import: yes or no in the words exports use (English or Chinese, 1/0,
 * true/false); blank is nothing recorded; anything else is dropped (as other profile fields are),
 * never guessed.
 *
 * @example cleanConsent(' 同意 ') // { ok: true, value: true, changed: true }
 */
export function cleanConsent(input: string | undefined): Cleaned<boolean> {
  if (input === undefined || input.trim() === '') return emptied(input);
  const t = fold(input).trim().toLowerCase();
  if (YES.has(t)) return kept(true, t !== input);
  if (NO.has(t)) return kept(false, t !== input);
  return impossible(`consent: '${input.slice(0, 20)}' is neither yes nor no`);
}

/**
 * The consent an import recorded on a source record, as facts: dated by the record's observedAt,
 * so a later yes or no at a till or in the console wins over it, and an older one does not.
 */
export function consentOfRecord(r: SourceRecord, memberId: string): ConsentDoc[] {
  return CONSENT_CHANNELS.flatMap((channel) => {
    const granted = r.consent?.[channel];
    return granted === undefined ? [] : [{ _id: `import:${r.id}:${channel}`, type: 'consent' as const, memberId, channel, granted, source: 'import' as const, storeId: 'HQ', by: r.id, at: r.observedAt }];
  });
}
