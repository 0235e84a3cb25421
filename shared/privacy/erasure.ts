import type { SourceRecord } from '../one-id/record.ts';
import type { MemberDoc } from '../schemas/documents.ts';

/*
 * What erasing a member's personal data leaves (PIPL, decision 014). The member stays as a
 * pseudonymous id that their facts (orders, ledger, coupons) still carry, so sales totals and
 * balances stay what they were; nothing left links that id to a person.
 */

/**
 * The member document after erasure: the id, the stores and the registration time (needed to
 * judge the facts that name the member), and nothing that identifies the person. Phone and
 * member code stay as empty strings: v1 nodes read a member with both.
 *
 * @example erasedMember({ _id: 'member:M1', type: 'member', id: 'M1', phone: '+8613900000001', name: 'Li', … }, '2026-11-30T00:00:00.000Z')
 * // { _id: 'member:M1', type: 'member', id: 'M1', phone: '', memberCode: '', homeStoreId, registeredAt, registeredStoreId, provisional, erasedAt }
 */
export function erasedMember(m: MemberDoc, at: string): MemberDoc {
  return {
    _id: m._id,
    type: 'member',
    id: m.id,
    phone: '',
    memberCode: '',
    homeStoreId: m.homeStoreId,
    registeredAt: m.registeredAt,
    registeredStoreId: m.registeredStoreId,
    provisional: m.provisional,
    erasedAt: m.erasedAt ?? at,
  };
}

/**
 * A source record after erasure: no identities (so it links to no one) and no profile beyond
 * when and where the person registered; the id and source stay (an import resumed or run again
 * finds the row there and does not bring it back as new).
 */
export function erasedRecord(r: SourceRecord): SourceRecord {
  return {
    id: r.id,
    source: r.source,
    observedAt: r.observedAt,
    identities: {},
    profile: {
      ...(r.profile.registeredAt ? { registeredAt: r.profile.registeredAt } : {}),
      ...(r.profile.homeStoreId ? { homeStoreId: r.profile.homeStoreId } : {}),
    },
    ...(r.memberId ? { memberId: r.memberId } : {}),
  };
}

/** Whether a record has been through erasedRecord (nothing left to erase). */
export const isErasedRecord = (r: SourceRecord): boolean =>
  Object.keys(r.identities).length === 0 && r.profile.name === undefined && r.profile.birthday === undefined && r.profile.email === undefined && r.profile.region === undefined && r.profile.gender === undefined;

/**
 * The values that identify the person, from their member documents and source records: what
 * must be found nowhere after erasure (the hub checks its own work with it; so do the tests).
 */
export function personalValues(members: readonly MemberDoc[], records: readonly SourceRecord[]): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (v && v.length >= 2) out.add(v);
  };
  for (const m of members) {
    add(m.phone);
    add(m.name);
    add(m.cardNo);
    add(m.unionId);
    add(m.memberCode);
    for (const o of m.openIds ?? []) add(o.openId);
  }
  for (const r of records) {
    add(r.identities.phone);
    add(r.identities.cardNo);
    add(r.identities.unionId);
    add(r.identities.buyerNick);
    add(r.identities.jdPin);
    for (const o of r.identities.openIds ?? []) add(o.openId);
    add(r.profile.name);
    add(r.profile.email);
  }
  return [...out];
}
