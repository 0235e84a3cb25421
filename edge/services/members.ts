import { docId } from '../../shared/doc-ids.ts';
import { AppError } from '../../shared/errors.ts';
import { identityKey, keyOfIdentity, type IdentityInput } from '../../shared/identity-keys.ts';
import { earnedExpiry } from '../../shared/loyalty/vesting.ts';
import type { ConsentBody, IdentifyBody, InteractionBody, RegisterBody } from '../../shared/schemas/api.ts';
import { consentByChannel } from '../../shared/privacy/consent.ts';
import { isIndexedKey } from '../../shared/member-index.ts';
import { own } from '../../shared/own.ts';
import { CONSENT_CHANNELS, ConsentDocSchema, IdentityKeyDocSchema, type AnyDoc, type ConsentDoc, type LedgerDoc, type MemberDoc } from '../../shared/schemas/documents.ts';
import { getDoc, moment, type EdgeContext } from '../context.ts';
import { newId, newMemberCode } from '../../shared/ids.ts';
import { memberDoc, memberSummary } from './member-views.ts';

function keyOrThrow(r: ReturnType<typeof identityKey>): string {
  if (!r.ok) throw new AppError('validation_failed', `${r.field}: ${r.reason}`, { field: r.field });
  return r.key;
}

export async function identify(ctx: EdgeContext, body: IdentifyBody) {
  const key = keyOrThrow(keyOfIdentity(body as IdentityInput));
  const memberId = isIndexedKey(key) ? ctx.live.index.memberIdFor(key) : await storedKeyOwner(ctx, key);
  const member = (memberId === undefined ? undefined : memberSummary(ctx, memberId)) ?? (await memberFromHub(ctx, body));
  if (!member) throw new AppError('member_not_found', ctx.hub?.reachable() ? 'no member with that identity' : 'no member with that identity at this store');
  return member;
}

/**
 * A member the replica does not hold, asked of the hub. The documents the hub added to this
 * store's database are stored and folded before answering: a till checks out right after it
 * identifies, and must find the member with the balance it was shown, not wait for replication.
 */
async function memberFromHub(ctx: EdgeContext, body: IdentifyBody) {
  const found = await ctx.hub?.lookup(body);
  if (!found) return undefined;
  try {
    await ctx.live.applyFromHub(found.docs);
  } catch (err) {
    ctx.log.warn('could not store the member from the hub; replication will bring them', { err: String((err as Error)?.message ?? err) });
    return found.member;
  }
  // Answered from the replica when it now holds the member: what the till shows, it can serve.
  return memberSummary(ctx, found.member.id) ?? found.member;
}

async function storedKeyOwner(ctx: EdgeContext, key: string): Promise<string | undefined> {
  const doc = await getDoc(ctx, docId.idk(key));
  return doc === undefined ? undefined : IdentityKeyDocSchema.parse(doc).memberId;
}

export function requireMember(ctx: EdgeContext, memberId: string) {
  const record = ctx.live.index.get(memberId);
  if (!record) throw new AppError('member_not_found', `member ${memberId} is not known at this store`);
  return record;
}

/** A ledger entry with the expiry the rules give points earned today. */
export function ledgerEntry(
  ctx: EdgeContext,
  memberId: string,
  cause: string,
  fields: Pick<LedgerDoc, 'delta' | 'reason' | 'ref'> & { vestsOn?: string | undefined },
): LedgerDoc {
  const { now, today } = moment(ctx);
  const { vestsOn, ...rest } = fields;
  // Pending points expire counting from the day they vest (decision 018).
  const expiresOn = fields.delta > 0 ? earnedExpiry(ctx.live.index.rules, today, vestsOn) : undefined;
  return {
    _id: docId.pts(memberId, cause),
    type: 'pts',
    memberId,
    ...rest,
    storeId: ctx.storeId,
    at: now,
    day: today,
    ...(expiresOn ? { expiresOn } : {}),
    ...(vestsOn ? { vestsOn } : {}),
  };
}

/**
 * Registers a member with the join gift. The phone is the member's key: an existing phone is a
 * 409 that names the member, so the POS can go on with them instead.
 */
export async function register(ctx: EdgeContext, terminalId: string, body: RegisterBody) {
  if (body.birthday !== undefined && body.birthday > moment(ctx).today) throw new AppError('validation_failed', 'birthday: not after today', { field: 'birthday' });
  const phoneKey = keyOrThrow(identityKey('phone', body.phone));
  const otherKeys: string[] = [];
  if (body.cardNo) otherKeys.push(keyOrThrow(identityKey('card', body.cardNo)));
  if (body.unionId) otherKeys.push(keyOrThrow(identityKey('unionid', body.unionId)));
  if (body.openId) otherKeys.push(keyOrThrow(identityKey('openid', body.openId, body.appId)));

  return ctx.locks.run([phoneKey, ...otherKeys], async () => {
    const index = ctx.live.index;
    // Online, the hub knows members of every store; offline, the registration is provisional.
    const existing = index.memberIdFor(phoneKey) ?? (await memberFromHub(ctx, { phone: body.phone }))?.id;
    if (existing !== undefined) throw new AppError('member_exists', 'a member with this phone exists', {}, { member: { id: existing } });
    for (const key of otherKeys) {
      if (index.memberIdFor(key) !== undefined) throw new AppError('identity_taken', `${key.split(':')[0]} belongs to another member`, { field: key.split(':')[0] });
    }

    const { now, today } = moment(ctx);
    const id = newId(ctx.clock(), 'M');
    const memberCode = newMemberCode();
    const member: MemberDoc = {
      _id: docId.member(id),
      type: 'member',
      id,
      phone: phoneKey.slice('phone:'.length),
      ...(body.name ? { name: body.name } : {}),
      ...(body.gender ? { gender: body.gender } : {}),
      ...(body.birthday ? { birthday: body.birthday } : {}),
      ...(body.cardNo ? { cardNo: body.cardNo } : {}),
      ...(body.unionId ? { unionId: body.unionId } : {}),
      ...(body.openId && body.appId ? { openIds: [{ appId: body.appId, openId: body.openId }] } : {}),
      memberCode,
      homeStoreId: ctx.storeId,
      registeredAt: now,
      registeredStoreId: ctx.storeId,
      // Without the hub this store cannot know whether the person is a member elsewhere.
      provisional: true,
    };
    const keys = [phoneKey, ...otherKeys, `code:${memberCode}`];
    const docs: AnyDoc[] = [
      member,
      ...keys.map((key) => ({ _id: docId.idk(key), type: 'idk' as const, key, memberId: id })),
      { _id: docId.event(ctx.storeId, id, 'register'), type: 'event', kind: 'register', memberId: id, storeId: ctx.storeId, terminalId, at: now, day: today },
    ];
    for (const channel of CONSENT_CHANNELS) {
      const granted = body.consent?.[channel];
      if (granted !== undefined) docs.push(consentFact(ctx, terminalId, id, channel, granted, now));
    }
    const gift = index.rules.joinGift;
    if (gift > 0) docs.push(ledgerEntry(ctx, id, 'join', { delta: gift, reason: 'join', ref: member._id }));
    const { conflicts } = await ctx.live.write(docs);
    if (conflicts.length > 0) throw new AppError('identity_taken', 'an identity of this member was registered at the same moment', { conflicts });
    return memberSummary(ctx, id)!;
  });
}

/**
 * Awards the points an interaction earns, once per what the rule says (ever, per store-local
 * day, per reference). The ledger entry's id is that "once", so a retry or a second check-in the
 * same day finds it and earns nothing.
 */
export async function interact(ctx: EdgeContext, terminalId: string, asked: string, body: InteractionBody) {
  const memberId = ctx.live.index.canonical(asked);
  requireMember(ctx, memberId);
  const rule = own(ctx.live.index.rules.interactions, body.kind);
  if (!rule) throw new AppError('unknown_interaction', `no points rule for '${body.kind}'`, { kinds: Object.keys(ctx.live.index.rules.interactions) });
  if (rule.once === 'per_ref' && !body.ref) throw new AppError('validation_failed', `ref: '${body.kind}' needs a ref`, { field: 'ref' });
  const profile = rule.requiresProfile ? await memberDoc(ctx, memberId) : undefined;
  const missing = (rule.requiresProfile ?? []).filter((f) => !profile?.[f]);
  if (missing.length > 0) throw new AppError('profile_incomplete', `profile lacks ${missing.join(', ')}`, { missing });

  return ctx.locks.run([memberId], async () => {
    const { now, today } = moment(ctx);
    const once = rule.once === 'ever' ? 'once' : rule.once === 'per_day' ? today : body.ref!;
    const cause = `int:${body.kind}:${once}`;
    const ptsId = docId.pts(memberId, cause);
    const balance = () => ctx.live.index.points(memberId, today);
    const already = () => ({ status: 200 as const, interaction: { kind: body.kind, awarded: 0, alreadyAwarded: true, message: alreadyMessage(rule.once), balance: balance() } });
    // Once per member: a member merged into this one may have earned it under its own id.
    const ids = [memberId, ...ctx.live.index.mergedInto(memberId)];
    if (ids.some((id) => ctx.live.index.hasLedgerEntry(memberId, docId.pts(id, cause)))) return already();

    const event = { _id: docId.event(ctx.storeId, memberId, cause), type: 'event' as const, kind: body.kind, memberId, storeId: ctx.storeId, terminalId, at: now, day: today, ...(body.ref ? { ref: body.ref } : {}) };
    const { conflicts } = await ctx.live.write([event, ledgerEntry(ctx, memberId, cause, { delta: rule.points, reason: 'interaction', ref: event._id })]);
    if (conflicts.includes(ptsId)) return already();
    return { status: 201 as const, interaction: { kind: body.kind, awarded: rule.points, alreadyAwarded: false, balance: balance() } };
  });
}

function alreadyMessage(once: 'ever' | 'per_day' | 'per_ref'): string {
  return once === 'per_day' ? 'already awarded today' : once === 'ever' ? 'already awarded' : 'already awarded for this ref';
}

function consentFact(ctx: EdgeContext, terminalId: string, memberId: string, channel: ConsentDoc['channel'], granted: boolean, at: string): ConsentDoc {
  return { _id: docId.consent(memberId, channel, ctx.storeId, at), type: 'consent', memberId, channel, granted, source: 'till', storeId: ctx.storeId, terminalId, at };
}

/** The member's consent facts this replica holds (the store's own and those the hub projected). */
async function consentFacts(ctx: EdgeContext, memberId: string): Promise<ConsentDoc[]> {
  const ids = [memberId, ...ctx.live.index.mergedInto(memberId)];
  const out: ConsentDoc[] = [];
  for (const id of ids) {
    const page = await ctx.live.db.allDocs({ startkey: `consent:${id}:`, endkey: `consent:${id}:\ufff0`, include_docs: true });
    for (const row of page.rows) {
      const parsed = ConsentDocSchema.safeParse(row.doc);
      if (parsed.success) out.push(parsed.data);
    }
  }
  return out;
}

/**
 * A member's yes or no to a channel, said at the till: a fact that replicates to the hub (which
 * judges it, decision 008) like a receipt, so it is recorded offline too. Answers the member's
 * consent per channel as this store knows it.
 */
export async function recordConsent(ctx: EdgeContext, terminalId: string, asked: string, body: ConsentBody) {
  const memberId = ctx.live.index.canonical(asked);
  // An erased member (decision 014) is no one to ask: the hub erased their contact data too.
  if (requireMember(ctx, memberId).phone === '') throw new AppError('member_not_found', `member ${asked} is not known at this store`);
  const fact = consentFact(ctx, terminalId, memberId, body.channel, body.granted, moment(ctx).now);
  await ctx.live.write([fact]);
  return { consent: { channel: fact.channel, granted: fact.granted, at: fact.at }, consents: consentByChannel(await consentFacts(ctx, memberId)) };
}

export async function memberConsents(ctx: EdgeContext, asked: string) {
  const memberId = ctx.live.index.canonical(asked);
  requireMember(ctx, memberId);
  return consentByChannel(await consentFacts(ctx, memberId));
}
