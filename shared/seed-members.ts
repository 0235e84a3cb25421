import { docId } from './doc-ids.ts';
import type { LoyaltyRules } from './schemas/rules.ts';
import { expiryFor } from './loyalty/points.ts';
import { localDate } from './local-time.ts';
import type { AnyDoc } from './schemas/documents.ts';

/** The phone of the i-th synthetic member: a range no real subscriber has (+86 139 00xx xxxx). */
export const seedPhone = (i: number) => `+86${13900000000 + i}`;
/** The member code (barcode) of the i-th synthetic member: 18 digits. */
export const seedMemberCode = (i: number) => `1${String(i).padStart(17, '0')}`;
export const seedMemberId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;

const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou'];
const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Lei', 'Yan', 'Jun', 'Hui', 'Tao', 'Xin', 'Ying'];

/** A small deterministic PRNG (mulberry32): the same seed gives the same members. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The documents of the i-th synthetic member (profile, phone and member-code keys, the join gift
 * with a random balance on top), registered at a store some time in the last two years.
 */
export function seedMemberDocs(i: number, random: () => number, at: { storeId: string; timeZone: string; rules: LoyaltyRules; now: Date }): AnyDoc[] {
  const id = seedMemberId(i);
  const registeredAt = new Date(at.now.getTime() - Math.floor(random() * 700) * 86_400_000).toISOString();
  const day = localDate(registeredAt, at.timeZone);
  const code = seedMemberCode(i);
  const phone = seedPhone(i);
  const expiresOn = expiryFor(at.rules.expiry, day);
  return [
    {
      _id: docId.member(id),
      type: 'member',
      id,
      phone,
      name: `${SURNAMES[Math.floor(random() * SURNAMES.length)]} ${GIVEN[Math.floor(random() * GIVEN.length)]}`,
      gender: random() < 0.5 ? 'F' : 'M',
      memberCode: code,
      homeStoreId: at.storeId,
      registeredAt,
      registeredStoreId: at.storeId,
      provisional: false,
    },
    { _id: docId.idk(`phone:${phone}`), type: 'idk', key: `phone:${phone}`, memberId: id },
    { _id: docId.idk(`code:${code}`), type: 'idk', key: `code:${code}`, memberId: id },
    {
      _id: docId.pts(id, 'join'),
      type: 'pts',
      memberId: id,
      delta: at.rules.joinGift + Math.floor(random() * 5000),
      reason: 'join',
      ref: docId.member(id),
      storeId: at.storeId,
      at: registeredAt,
      day,
      ...(expiresOn ? { expiresOn } : {}),
    },
  ];
}
