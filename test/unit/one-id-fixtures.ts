/** Builders for the One-ID unit tests (not a test file itself). */
import type { RecordIdentities, RecordProfile, SourceRecord } from '../../shared/one-id/record.ts';

export const T0 = '2026-01-01T00:00:00.000Z';

/** A day after T0, as an ISO time: `day(3)` is 2026-01-04. */
export const day = (n: number) => new Date(Date.parse(T0) + n * 86_400_000).toISOString();

export function rec(id: string, identities: RecordIdentities, over: Partial<Omit<SourceRecord, 'id' | 'identities'>> & { profile?: RecordProfile } = {}): SourceRecord {
  return { id, source: id.slice(0, id.indexOf(':')), observedAt: T0, identities, profile: {}, ...over };
}

/** A valid Chinese mobile in E.164 from a small number (not junk). */
export const phone = (n: number) => `+86139${String(10_000_000 + n * 7919).slice(-8)}`;
