import { z } from 'zod';

/** Integer cents (fen); money never travels as a float. */
export const Cents = z.number().int().nonnegative().max(1e12);
export const Points = z.number().int();
/** UTC with a Z, as toISOString() writes it: times are compared as strings, so one form only. */
export const IsoTime = z.iso.datetime();
export const LocalDate = z.iso.date();
export const StoreId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32');
export const TerminalId = StoreId;
export const MemberId = z.string().regex(/^[A-Za-z0-9_-]{4,64}$/);
export const CouponCode = z.string().regex(/^[A-Z0-9-]{4,40}$/, '4-40 upper-case letters, digits or -');
export const Sku = z.string().min(1).max(64);
export const Category = z.string().min(1).max(64);
