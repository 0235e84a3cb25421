import { z } from 'zod';
import { Category, Cents, CouponCode, LocalDate, MemberId, Points, Sku } from './common.ts';
import { GENDERS } from './documents.ts';

/* Request bodies of the edge API v1. Strict: an unknown field is a client bug, refused with 400. */

const text = (max: number) => z.string().trim().min(1).max(max);

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
    birthday: LocalDate.optional(),
    cardNo: text(32).optional(),
    unionId: text(64).optional(),
    openId: text(64).optional(),
    appId: text(64).optional(),
  })
  .refine((b) => (b.openId === undefined) === (b.appId === undefined), { path: ['appId'], message: 'openId and appId go together' });
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

export const InteractionBodySchema = z.strictObject({
  kind: z.string().regex(/^[a-z_]{2,32}$/),
  /** What the interaction was about, for kinds that earn once per reference (a survey id, a friend). */
  ref: text(64).optional(),
});
export type InteractionBody = z.infer<typeof InteractionBodySchema>;

export const LineInputSchema = z.strictObject({
  sku: Sku,
  category: Category.optional(),
  qty: z.number().int().positive().max(10000),
  /** Integer cents. */
  unitPrice: Cents.max(100_000_000),
});
export type LineInput = z.infer<typeof LineInputSchema>;

const ReceiptNo = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, _ . or -');

export const CheckoutBodySchema = z.strictObject({
  receiptNo: ReceiptNo,
  memberId: MemberId.optional(),
  lines: z.array(LineInputSchema).min(1).max(500),
  couponCodes: z.array(CouponCode).max(10).optional(),
  pointsToRedeem: Points.positive().optional(),
});
export type CheckoutBody = z.infer<typeof CheckoutBodySchema>;

export const RefundBodySchema = z.strictObject({
  refundNo: ReceiptNo,
  /** Absent = refund everything not yet refunded. */
  lines: z.array(z.strictObject({ sku: Sku, qty: z.number().int().positive() })).min(1).max(500).optional(),
});
export type RefundBody = z.infer<typeof RefundBodySchema>;

export const VerifyCouponBodySchema = z.strictObject({
  memberId: MemberId,
  lines: z.array(LineInputSchema).min(1).max(500),
});
export type VerifyCouponBody = z.infer<typeof VerifyCouponBodySchema>;
