import { z } from 'zod';
import { LIMITS } from '../limits.ts';

/** Integer cents (fen); money never travels as a float. No amount exceeds what one receipt may hold. */
export const Cents = z.number().int().nonnegative().max(LIMITS.receiptCents);
export const Points = z.number().int().min(-LIMITS.points).max(LIMITS.points);
/** UTC with a Z, as toISOString() writes it: times are compared as strings, so one form only. */
export const IsoTime = z.iso.datetime();
export const LocalDate = z.iso.date();
/** Becomes a database name and part of document ids: it starts with a letter or digit (no `__proto__`). */
export const StoreId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a letter or digit, then letters, digits, _ or -, at most 32');
export const TerminalId = StoreId;
export const MemberId = z.string().regex(/^[A-Za-z0-9_-]{4,64}$/);
export const CouponCode = z.string().regex(/^[A-Z0-9-]{4,40}$/, '4-40 upper-case letters, digits or -');

/**
 * Characters that hide what a text says: controls (NUL included), unpaired surrogates and
 * bidirectional overrides (U+202E turns 'gnp.exe' into what looks like 'exe.png').
 */
const HIDDEN = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u;
const visible = <S extends z.ZodString>(s: S) => s.refine((v) => !HIDDEN.test(v), 'control, bidi-override or unpaired surrogate characters are not allowed');

/** Free text from a till or an operator: trimmed, 1 to `max` characters, nothing hidden. */
export const Text = (max: number) => visible(z.string().trim().min(1).max(max));

export const Sku = visible(z.string().min(1).max(64));
export const Category = visible(z.string().min(1).max(64));
/** A birthday: a calendar date from 1900 on (the future is refused where the store's today is known). */
export const Birthday = z.iso.date().refine((d) => d >= '1900-01-01', 'a birthday from 1900-01-01 on');
