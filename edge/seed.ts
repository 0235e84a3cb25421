import { docId } from '../shared/doc-ids.ts';
import { expiryFor } from '../shared/loyalty/points.ts';
import { localDate } from '../shared/local-time.ts';
import type { AnyDoc } from '../shared/schemas/documents.ts';
import type { EdgeContext } from './context.ts';

/** The phone of the i-th synthetic member: a range no real subscriber has (+86 139 00xx xxxx). */
export const seedPhone = (i: number) => `+86${13900000000 + i}`;
/** The member code (barcode) of the i-th synthetic member: 18 digits. */
export const seedMemberCode = (i: number) => `1${String(i).padStart(17, '0')}`;
export const seedMemberId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;

const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou'];
const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Lei', 'Yan', 'Jun', 'Hui', 'Tao', 'Xin', 'Ying'];

/** A small deterministic PRNG (mulberry32): the same seed gives the same members. */
function rng(seed: number) {
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
 * Fills the replica with `count` synthetic members (profile, phone and member-code keys, the
 * join gift, a purchase history for some), as if the hub had projected them. Re-running it
 * rewrites nothing: documents that exist are left as they are.
 */
export async function seedMembers(ctx: EdgeContext, count: number, opts: { seed?: number; onProgress?: (done: number) => void } = {}) {
  const random = rng(opts.seed ?? 42);
  const now = ctx.clock();
  const batch = 2000;
  for (let start = 0; start < count; start += batch) {
    const docs: AnyDoc[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const id = seedMemberId(i);
      const registeredAt = new Date(now.getTime() - Math.floor(random() * 700) * 86_400_000).toISOString();
      const day = localDate(registeredAt, ctx.timeZone);
      const code = seedMemberCode(i);
      const phone = seedPhone(i);
      docs.push(
        {
          _id: docId.member(id),
          type: 'member',
          id,
          phone,
          name: `${SURNAMES[Math.floor(random() * SURNAMES.length)]} ${GIVEN[Math.floor(random() * GIVEN.length)]}`,
          gender: random() < 0.5 ? 'F' : 'M',
          memberCode: code,
          homeStoreId: ctx.storeId,
          registeredAt,
          registeredStoreId: ctx.storeId,
          provisional: false,
        },
        { _id: docId.idk(`phone:${phone}`), type: 'idk', key: `phone:${phone}`, memberId: id },
        { _id: docId.idk(`code:${code}`), type: 'idk', key: `code:${code}`, memberId: id },
      );
      const expiresOn = expiryFor(ctx.live.index.rules.expiry, day);
      docs.push({
        _id: docId.pts(id, 'join'),
        type: 'pts',
        memberId: id,
        delta: ctx.live.index.rules.joinGift + Math.floor(random() * 5000),
        reason: 'join',
        ref: docId.member(id),
        storeId: ctx.storeId,
        at: registeredAt,
        day,
        ...(expiresOn ? { expiresOn } : {}),
      });
    }
    await ctx.live.write(docs);
    opts.onProgress?.(Math.min(count, start + batch));
  }
  await ctx.live.persist();
}
