import { z } from 'zod';
import { LIMITS } from '../limits.ts';
import { Birthday, Category, CouponCode, MemberId, Points, Sku, Text } from './common.ts';
import { CONSENT_CHANNELS, GENDERS } from './documents.ts';

/* Request bodies of the edge API v1. Strict: an unknown field is a client bug, refused with 400. */

const text = Text;

export const IdentifyBodySchema = z
  .strictObject({
    phone: text(32).optional(),
    cardNo: text(32).optional(),
    unionId: text(64).optional(),
    openId: text(64).optional(),
    appId: text(64).optional(),
    memberCode: text(24).optional(),
  })
  .superRefine((b, ctx) => {
    const given = (['phone', 'cardNo', 'unionId', 'openId', 'memberCode'] as const).filter((k) => b[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of phone, cardNo, unionId, openId+appId, memberCode' });
    }
    if ((b.openId === undefined) !== (b.appId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['appId'], message: 'openId and appId go together' });
    }
  });
export type IdentifyBody = z.infer<typeof IdentifyBodySchema>;

export const RegisterBodySchema = z
  .strictObject({
    phone: text(32),
    name: text(64).optional(),
    gender: z.enum(GENDERS).optional(),
    birthday: Birthday.optional(),
    cardNo: text(32).optional(),
    unionId: text(64).optional(),
    openId: text(64).optional(),
    appId: text(64).optional(),
    /** What the member agreed to at registration, per channel (absent: nothing recorded). */
    consent: z.strictObject({ sms: z.boolean().optional(), wechat: z.boolean().optional(), email: z.boolean().optional(), phone: z.boolean().optional() }).optional(),
  })
  .refine((b) => (b.openId === undefined) === (b.appId === undefined), { path: ['appId'], message: 'openId and appId go together' });
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

/** A member's yes or no to one channel, at a till or in the console. */
export const ConsentBodySchema = z.strictObject({ channel: z.enum(CONSENT_CHANNELS), granted: z.boolean() });
export type ConsentBody = z.infer<typeof ConsentBodySchema>;

export const InteractionBodySchema = z.strictObject({
  kind: z.string().regex(/^[a-z_]{2,32}$/),
  /** What the interaction was about, for kinds that earn once per reference (a survey id, a friend). */
  ref: text(64).optional(),
});
export type InteractionBody = z.infer<typeof InteractionBodySchema>;

export const LineInputSchema = z.strictObject({
  sku: Sku,
  category: Category.optional(),
  /** The brand, where the till knows it; otherwise the product master's (decision 017). */
  brand: Category.optional(),
  qty: z.number().int().positive().max(LIMITS.qty),
  /** Integer cents. */
  unitPrice: z.number().int().nonnegative().max(LIMITS.unitPriceCents),
});
export type LineInput = z.infer<typeof LineInputSchema>;

const ReceiptNo = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, _ . or -');

/** A checkout's public id: `<store>:<terminal>:<receipt>`. */
export const CheckoutId = z.string().regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_.-]{1,64}$/, 'a checkout id is <store>:<terminal>:<receipt>');

/** Lines whose value together stays within what one receipt may hold (LIMITS.receiptCents). */
const Lines = z
  .array(LineInputSchema)
  .min(1)
  .max(LIMITS.lines)
  .refine((lines) => lines.reduce((s, l) => s + l.qty * l.unitPrice, 0) <= LIMITS.receiptCents, `the receipt's total exceeds ${LIMITS.receiptCents} cents`);

export const CheckoutBodySchema = z.strictObject({
  receiptNo: ReceiptNo,
  memberId: MemberId.optional(),
  lines: Lines,
  couponCodes: z.array(CouponCode).max(LIMITS.coupons).optional(),
  pointsToRedeem: Points.positive().optional(),
});
export type CheckoutBody = z.infer<typeof CheckoutBodySchema>;

export const RefundBodySchema = z.strictObject({
  refundNo: ReceiptNo,
  /** Absent = refund everything not yet refunded. */
  lines: z.array(z.strictObject({ sku: Sku, qty: z.number().int().positive().max(LIMITS.qty) })).min(1).max(LIMITS.lines).optional(),
});
export type RefundBody = z.infer<typeof RefundBodySchema>;

export const VerifyCouponBodySchema = z.strictObject({
  memberId: MemberId,
  lines: Lines,
});
export type VerifyCouponBody = z.infer<typeof VerifyCouponBodySchema>;
