import { codesFromCsv, decideClaim } from '../../shared/catalogue/pool-claims.ts';
import { AppError } from '../../shared/errors.ts';
import { PoolSchema, type ImportPoolBody, type Pool, type PoolClaim } from '../../shared/schemas/catalogue.ts';
import { KeyedLock } from '../../edge/keyed-lock.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import { issueHubCoupon } from '../coupons.ts';
import type { HubMembers } from '../members.ts';
import type { ChangedBy } from '../rules.ts';

/*
 * Coupon pools (decision 020): a partner's batch of codes imported at the hub with the template
 * their coupons take, handed out first come to members who claim one at any store, within the
 * pool's (and its campaign's) limit per member. Pools, their codes and the claims stay in the
 * hub's registry; the coupon a claim makes is an ordinary hub coupon, projected to the member's
 * stores, redeemable offline.
 *
 *   pool:<id>                    the pool, how many codes it has and the next one to hand out
 *   poolslot:<id>:<00000042>     the 43rd code of the pool, in the order of the partner's file
 *   poolcode:<code>              which pool a code is in (a code is in one pool only)
 *   claim:<member>:<pool>:<req>  a member's claim, by request (the same request again is the same claim)
 */

interface PoolDoc extends Doc {
  type: 'pool';
  pool: Pool;
  size: number;
  /** Index of the next code to hand out: codes before it are claimed (or lost to a crash mid-claim). */
  next: number;
  importedAt: string;
  by: ChangedBy;
}

const poolKey = (id: string) => `pool:${id}`;
const slotKey = (id: string, i: number) => `poolslot:${id}:${String(i).padStart(8, '0')}`;
const codeKey = (code: string) => `poolcode:${code}`;
const claimPrefix = (memberId: string) => `claim:${memberId}:`;
const CHUNK = 1000;

export type PoolView = Pool & { size: number; claimed: number; importedAt: string };
const view = (d: PoolDoc): PoolView => ({ ...d.pool, size: d.size, claimed: d.next, importedAt: d.importedAt });

/**
 * Imports a pool: its codes from the CSV and/or the list, the template its coupons take. A code
 * already in another pool is left out and counted; a line that is no code refuses the whole
 * import (422, with the lines), nothing written. Safe to repeat after a failure part-way.
 */
export async function importPool(deps: { couch: Couch; clock: () => Date }, body: ImportPoolBody, by: ChangedBy): Promise<{ pool: PoolView; duplicates: number }> {
  const { couch } = deps;
  const { csv, codes: listed, ...rest } = body;
  const pool = PoolSchema.parse(rest);
  if (!(await couch.get(DB.registry, `tpl:${pool.templateId}`))) throw new AppError('template_not_found', `no coupon template '${pool.templateId}'`, { field: 'templateId' });
  if (await couch.get(DB.registry, poolKey(pool.id))) throw new AppError('pool_exists', `pool ${pool.id} exists`);
  const fromCsv = csv === undefined ? { codes: [], rejects: [] } : codesFromCsv(csv);
  if (fromCsv.rejects.length > 0) {
    throw new AppError('validation_failed', `csv: ${fromCsv.rejects.length} lines are not codes (line ${fromCsv.rejects[0]!.line} first)`, { field: 'csv', rejects: fromCsv.rejects.slice(0, 20) });
  }
  const codes = [...new Set([...fromCsv.codes, ...(listed ?? [])])];
  if (codes.length === 0) throw new AppError('validation_failed', 'codes: a pool needs at least one code', { field: 'codes' });

  // Each code claimed for this pool first (a code is in one pool only), then the pool's slots, then the pool: never a pool without its codes.
  const mine: string[] = [];
  for (let i = 0; i < codes.length; i += CHUNK) {
    const chunk = codes.slice(i, i + CHUNK);
    const results = await couch.insertNew(DB.registry, chunk.map((code) => ({ _id: codeKey(code), type: 'poolcode', poolId: pool.id })));
    const taken = chunk.filter((_, k) => results[k] === 'exists');
    const owners = new Map((await couch.fetchDocs(DB.registry, taken.map(codeKey))).map((d, k) => [taken[k]!, d?.poolId]));
    mine.push(...chunk.filter((code, k) => results[k] === 'created' || owners.get(code) === pool.id));
  }
  for (let i = 0; i < mine.length; i += CHUNK) {
    await couch.insertNew(DB.registry, mine.slice(i, i + CHUNK).map((code, k) => ({ _id: slotKey(pool.id, i + k), type: 'poolslot', code })));
  }
  const doc: PoolDoc = { _id: poolKey(pool.id), type: 'pool', pool, size: mine.length, next: 0, importedAt: deps.clock().toISOString(), by };
  const [created] = await couch.insertNew(DB.registry, [doc]);
  if (created === 'exists') throw new AppError('pool_exists', `pool ${pool.id} exists`);
  return { pool: view(doc), duplicates: codes.length - mine.length };
}

export async function listPools(couch: Couch): Promise<PoolView[]> {
  return (await couch.range<PoolDoc>(DB.registry, { startkey: 'pool:', endkey: 'pool:\ufff0' })).filter((d) => d.type === 'pool').map(view);
}

/**
 * Claims from pools for the stores' tills. A member's claims are taken one at a time in this
 * process (the hub is one process), so no member passes a limit by asking twice at once from two
 * stores; a pool's cursor moves one claim at a time, so first come is the order claims reach it.
 * Only the cursor waits on the pool: members claiming at once from one pool (a campaign's start)
 * have their coupons issued and sent to their stores side by side, not in a queue behind the
 * tills' three-second wait.
 */
export class CouponPools {
  private readonly locks = new KeyedLock();

  constructor(private readonly deps: { couch: Couch; members: HubMembers; clock: () => Date }) {}

  /**
   * The member's claim on the pool, asked by a store that serves the member: the next code of
   * the pool as a coupon of its template, projected to the member's stores. The same request
   * again answers the same coupon (`replayed`).
   */
  async claim(storeId: string, poolId: string, asked: { memberId: string; requestId: string }): Promise<{ coupon: Doc; docs: Doc[]; replayed: boolean }> {
    const { couch, members } = this.deps;
    const memberId = members.canonical(asked.memberId);
    if (!(await members.memberDoc(memberId)) || !(await members.relevantStores(memberId)).includes(storeId)) {
      throw new AppError('member_not_found', `member ${asked.memberId} is not served at store ${storeId}`);
    }
    return this.locks.run([`member:${memberId}`], async () => {
      const poolDoc = await couch.get<PoolDoc>(DB.registry, poolKey(poolId));
      if (!poolDoc || poolDoc.type !== 'pool') throw new AppError('pool_not_found', `no coupon pool ${poolId}`);
      const pool = PoolSchema.parse(poolDoc.pool);
      const claims = (await couch.range<Doc & PoolClaim>(DB.registry, { startkey: claimPrefix(memberId), endkey: `${claimPrefix(memberId)}\ufff0` }, 100_000)).map(({ _id, _rev, type, ...c }) => c as PoolClaim);
      const decided = decideClaim(pool, claims, asked.requestId);
      if (decided.kind === 'refused') throw new AppError(decided.code, decided.message, { limit: decided.limit, scope: decided.scope });
      const code = decided.kind === 'replay' ? decided.claim.code : await this.takeNext(poolId);
      if (decided.kind === 'take') {
        const claim: PoolClaim = { poolId, ...(pool.campaign ? { campaignId: pool.campaign.id } : {}), memberId, requestId: asked.requestId, code, storeId, at: this.deps.clock().toISOString() };
        await couch.insertNew(DB.registry, [{ _id: `${claimPrefix(memberId)}${poolId}:${asked.requestId}`, type: 'pool-claim', ...claim }]);
      }
      const { coupon } = await issueHubCoupon(this.deps, { memberId, templateId: pool.templateId, code, requestId: `pool-${asked.requestId}` });
      const docs = await members.projectAndRead(storeId, [coupon as unknown as Doc]);
      return { coupon: coupon as unknown as Doc, docs, replayed: decided.kind === 'replay' };
    });
  }

  /** Moves the pool's cursor on by one and answers the code it passed: the cursor first, so a code is never handed out twice. */
  private async takeNext(poolId: string): Promise<string> {
    let index = -1;
    await this.locks.run([poolKey(poolId)], () =>
      this.deps.couch.update<PoolDoc>(DB.registry, poolKey(poolId), (cur) => {
        if (!cur || cur.next >= cur.size) {
          index = -1;
          return undefined;
        }
        index = cur.next;
        return { ...cur, next: cur.next + 1 };
      }),
    );
    if (index < 0) throw new AppError('pool_empty', `every code of pool ${poolId} has been claimed`);
    const slot = await this.deps.couch.get(DB.registry, slotKey(poolId, index));
    if (!slot || typeof slot.code !== 'string') throw new AppError('internal', `pool ${poolId} has no code ${index}`);
    return slot.code;
  }
}
