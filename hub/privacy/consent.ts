import { docId, HUB_STORE_ID } from '../../shared/doc-ids.ts';
import { AppError } from '../../shared/errors.ts';
import { consentByChannel, consentHistory, consentOfRecord } from '../../shared/privacy/consent.ts';
import { EVERYTHING, type DataScope } from '../../shared/org-scope.ts';
import type { ConsentBody } from '../../shared/schemas/api.ts';
import { ConsentDocSchema, type ConsentDoc } from '../../shared/schemas/documents.ts';
import type { Doc } from '../couch/couch.ts';
import { DB, factKey } from '../couch/databases.ts';
import type { HubContext } from '../context.ts';
import { memberInScope } from '../org/scope-check.ts';

type Deps = Pick<HubContext, 'couch' | 'members' | 'clock' | 'identity'>;

/**
 * Every consent fact of a member and of the members merged into them, from every store and HQ,
 * and the consent imported with the source records of their golden member (One-ID), dated by
 * each record. This is what campaigns ask (mayContact).
 */
export async function consentFactsOf(deps: Pick<HubContext, 'members' | 'identity'>, memberId: string): Promise<ConsentDoc[]> {
  const ids = [memberId, ...(await deps.members.mergedInto(memberId))];
  const out: ConsentDoc[] = [];
  try {
    for (const r of deps.identity.recordsOf(memberId)?.records ?? []) out.push(...consentOfRecord(r, memberId));
  } catch (err) {
    // One-ID still loading: the facts alone, until it has.
    if (!(err instanceof AppError && err.code === 'unavailable')) throw err;
  }
  for (const id of ids) {
    for (const f of await deps.members.factsOf(id)) {
      const parsed = f.type === 'consent' ? ConsentDocSchema.safeParse(f) : undefined;
      if (parsed?.success) out.push(parsed.data);
    }
  }
  return out;
}

/** A member's consent per channel (latest wins) and its history, newest first. */
export async function memberConsent(deps: Pick<HubContext, 'members' | 'identity'>, memberId: string) {
  const facts = await consentFactsOf(deps, memberId);
  return { channels: consentByChannel(facts), history: consentHistory(facts).map(({ _id, _rev, type, ...f }) => f) };
}

/**
 * Consent recorded at HQ (the console, the admin API, an import): a fact under store HQ, kept
 * centrally and sent to every store that serves the member like any other fact of theirs, so a
 * till sees the same answer. Out of scope is not found.
 */
export async function recordHubConsent(deps: Deps, asked: string, body: ConsentBody, source: 'console' | 'import', by: string, scope: DataScope = EVERYTHING) {
  if (!(await memberInScope(deps.members, scope, asked))) throw new AppError('member_not_found', `no member ${asked}`);
  const memberId = deps.members.canonical(asked);
  const profile = await deps.members.memberDoc(memberId);
  if (!profile) throw new AppError('member_not_found', `no member ${asked}`);
  if (profile.erasedAt) throw new AppError('validation_failed', 'the member\'s data was erased: there is no one to ask for consent', { field: 'memberId' });
  await writeConsent(deps, { memberId, channel: body.channel, granted: body.granted, source, by, at: deps.clock().toISOString() });
  return memberConsent(deps, memberId);
}

/** Stores a consent fact centrally and projects it to the stores that serve the member. */
export async function writeConsent(deps: Pick<HubContext, 'couch' | 'members'>, c: Pick<ConsentDoc, 'memberId' | 'channel' | 'granted' | 'source' | 'by' | 'at'>): Promise<void> {
  const fact: ConsentDoc = { _id: docId.consent(c.memberId, c.channel, HUB_STORE_ID, c.at), type: 'consent', ...c, storeId: HUB_STORE_ID };
  await deps.couch.insertNew(DB.facts, [{ ...fact, _id: factKey(c.memberId, fact._id) } as Doc]);
  await deps.members.projectTo(await deps.members.relevantStores(c.memberId), [fact as unknown as Doc]);
}
