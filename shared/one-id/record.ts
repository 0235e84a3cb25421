import { z } from 'zod';
import { IsoTime, LocalDate } from '../schemas/common.ts';

/*
 * The canonical shape every channel's data is cleaned into before identities are resolved. A
 * source record is one row of one channel (a CRM member, a mini-program user, a Tmall buyer, a
 * store registration, the buyer of an online order); a golden member is the set of records that
 * identity keys link, with each profile field chosen by survivorship.
 */

/** Where a record came from. A mapping file names one per source; the resolver ranks them by trust. */
export const SourceName = z.string().regex(/^[a-z][a-z0-9_-]{1,31}$/, 'lower-case letters, digits, _ or -');

export const GENDER_CODES = ['M', 'F'] as const;

export const RegionSchema = z.strictObject({ province: z.string().min(1).max(32).optional(), city: z.string().min(1).max(32).optional() });

/** Identity keys a record carries, already normalised (phone in E.164, card upper-case, …). */
export const RecordIdentitiesSchema = z.strictObject({
  phone: z.string().regex(/^\+\d{8,15}$/).optional(),
  cardNo: z.string().regex(/^[A-Z0-9]{4,32}$/).optional(),
  unionId: z.string().regex(/^[\w-]{8,64}$/).optional(),
  openIds: z.array(z.strictObject({ appId: z.string().regex(/^[\w-]{2,64}$/), openId: z.string().regex(/^[\w-]{8,64}$/) })).max(8).optional(),
  /** Tmall buyer nickname: case and width folded, trimmed. */
  buyerNick: z.string().min(1).max(64).optional(),
  /** JD account PIN, trimmed, lower-cased. */
  jdPin: z.string().min(1).max(64).optional(),
});
export type RecordIdentities = z.infer<typeof RecordIdentitiesSchema>;

/** The standard member fields (requirements §1) that a record may fill. */
export const RecordProfileSchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  gender: z.enum(GENDER_CODES).optional(),
  birthday: LocalDate.optional(),
  region: RegionSchema.optional(),
  registeredAt: IsoTime.optional(),
  homeStoreId: z.string().max(32).optional(),
  email: z.string().max(128).optional(),
});
export type RecordProfile = z.infer<typeof RecordProfileSchema>;

/**
 * What the member said about being contacted on each channel, as the source recorded it (an
 * import's consent columns): dated by the record's observedAt (PIPL, decision 014).
 */
export const RecordConsentSchema = z.strictObject({ sms: z.boolean().optional(), wechat: z.boolean().optional(), email: z.boolean().optional(), phone: z.boolean().optional() });
export type RecordConsent = z.infer<typeof RecordConsentSchema>;

export const SourceRecordSchema = z.strictObject({
  /** `<source>:<id within the source>`: the same row imported twice has the same id. */
  id: z.string().min(3).max(160),
  source: SourceName,
  /** When the source last saw this data: survivorship prefers the most recent value. */
  observedAt: IsoTime,
  identities: RecordIdentitiesSchema,
  profile: RecordProfileSchema,
  /** A store member's id when the record is a store registration (the golden member keeps it). */
  memberId: z.string().optional(),
  provisional: z.boolean().optional(),
  consent: RecordConsentSchema.optional(),
});
export type SourceRecord = z.infer<typeof SourceRecordSchema>;

/** The fields that count for completeness (requirements §1, standard member fields). */
export const COMPLETENESS_FIELDS = ['phone', 'name', 'gender', 'birthday', 'region', 'registeredAt', 'homeStoreId', 'cardNo'] as const;
