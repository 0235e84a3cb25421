import { z } from 'zod';
import { isTimeZone } from '../local-time.ts';
import { own } from '../own.ts';
import {
  cleanBuyerNick, cleanCardNo, cleanDate, cleanDateTime, cleanEmail, cleanGender, cleanJdPin, cleanMoney,
  cleanName, cleanOpenId, cleanPhone, cleanRegion, cleanStoreId, cleanUnionId, type Cleaned, fold,
} from './clean.ts';
import { BIRTHDAY_MIN, DEFAULT_TIME_ZONE, type DateOrder } from './clean-date.ts';
import { type OrderLine, type OrderSummary, orderStatus } from './order.ts';
import { type RecordConsent, type RecordIdentities, type RecordProfile, type SourceRecord, SourceName } from './record.ts';
import { cleanConsent } from '../privacy/consent.ts';

/*
 * A mapping says how one source's export becomes source records: which column holds which
 * canonical field, how to read its dates and amounts, and which columns make the row's id.
 * Mappings live in deploy/mappings/*.json; docs/import-mappings.md explains the fields.
 *
 * Orders are NDJSON with the lines nested in each order (one object per order): a CSV with one
 * row per line would need rows grouped by order number, which a row-at-a-time import with
 * resumable checkpoints and per-row rejects cannot do safely.
 */

export const MEMBER_FIELDS = [
  'phone', 'cardNo', 'unionId', 'openId', 'openIdApp', 'buyerNick', 'jdPin',
  'name', 'gender', 'birthday', 'province', 'city', 'region', 'registeredAt', 'homeStoreId', 'email', 'memberId',
  'consentSms', 'consentWechat', 'consentEmail', 'consentPhone',
] as const;
export const ORDER_FIELDS = ['orderNo', 'orderAt', 'status', 'totalAmount', 'paidAmount', 'discountAmount'] as const;
export const CANONICAL_FIELDS = [...MEMBER_FIELDS, ...ORDER_FIELDS] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

/** The consent columns and the channel each records. */
const CONSENT_FIELDS = [
  ['consentSms', 'sms'],
  ['consentWechat', 'wechat'],
  ['consentEmail', 'email'],
  ['consentPhone', 'phone'],
] as const;

const MONEY_FIELDS = new Set<string>(['totalAmount', 'paidAmount', 'discountAmount', 'unitPrice']);
const DATE_FIELDS = new Set<string>(['birthday', 'registeredAt', 'orderAt']);

/** 'yuan' (the default for amounts) or 'cents' for money; 'dmy' or 'mdy' for how slash dates read. */
export const TRANSFORMS = ['yuan', 'cents', 'dmy', 'mdy'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** A column name (a dotted path such as `buyer.nick` reaches into NDJSON objects), or one with a transform. */
export const ColumnSpecSchema = z.union([
  z.string().min(1).max(128),
  z.strictObject({ column: z.string().min(1).max(128), transform: z.enum(TRANSFORMS).optional() }),
]);
export type ColumnSpec = z.infer<typeof ColumnSpecSchema>;

const FieldName = z.enum(CANONICAL_FIELDS);

export const LinesSpecSchema = z.strictObject({
  /** The array of line objects inside each order. */
  column: z.string().min(1),
  sku: ColumnSpecSchema,
  qty: ColumnSpecSchema,
  unitPrice: ColumnSpecSchema,
  category: ColumnSpecSchema.optional(),
});

export const MappingSchema = z
  .strictObject({
    source: SourceName,
    description: z.string().max(500).optional(),
    format: z.enum(['csv', 'ndjson']),
    kind: z.enum(['members', 'orders']),
    /** The column (or columns, joined with ':') that identify a row within the source. */
    idField: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]),
    columns: z.partialRecord(FieldName, ColumnSpecSchema),
    /** The mini-program or official account an `openId` column belongs to (or map `openIdApp` to a column). */
    openIdApp: z.string().regex(/^[\w-]{2,64}$/).optional(),
    /** A column with when the source last updated the row; otherwise the order time, else the file's time. */
    observedAtField: z.string().min(1).optional(),
    /** Raw values for fields whose column is missing or empty (e.g. the province of a regional CRM). */
    defaults: z.partialRecord(FieldName, z.string()).optional(),
    /** Zone of times written without one. */
    timeZone: z.string().refine(isTimeZone, 'unknown time zone').default(DEFAULT_TIME_ZONE),
    /** How 05/03/2024 reads in this source, unless a column says otherwise. */
    dateOrder: z.enum(['dmy', 'mdy']).default('dmy'),
    lines: LinesSpecSchema.optional(),
  })
  .superRefine((m, ctx) => {
    for (const [field, spec] of Object.entries(m.columns)) {
      const t = typeof spec === 'object' ? spec.transform : undefined;
      if ((t === 'yuan' || t === 'cents') && !MONEY_FIELDS.has(field)) ctx.addIssue({ code: 'custom', path: ['columns', field], message: `${t} applies to amounts only` });
      if ((t === 'dmy' || t === 'mdy') && !DATE_FIELDS.has(field)) ctx.addIssue({ code: 'custom', path: ['columns', field], message: `${t} applies to dates only` });
    }
    if (m.kind === 'orders') {
      if (m.format !== 'ndjson') ctx.addIssue({ code: 'custom', path: ['format'], message: 'orders are read from NDJSON, one order with its lines per line' });
      if (!m.columns.orderNo) ctx.addIssue({ code: 'custom', path: ['columns', 'orderNo'], message: 'orders need an orderNo column' });
      if (!m.columns.orderAt) ctx.addIssue({ code: 'custom', path: ['columns', 'orderAt'], message: 'orders need an orderAt column' });
      if (!m.lines) ctx.addIssue({ code: 'custom', path: ['lines'], message: 'orders need a lines spec' });
    } else {
      for (const f of ORDER_FIELDS) if (m.columns[f]) ctx.addIssue({ code: 'custom', path: ['columns', f], message: 'order fields belong to kind orders' });
      if (m.lines) ctx.addIssue({ code: 'custom', path: ['lines'], message: 'lines belong to kind orders' });
    }
  });
export type Mapping = z.infer<typeof MappingSchema>;
export type MappingInput = z.input<typeof MappingSchema>;

export type Row = Record<string, unknown>;

export interface ApplyContext {
  /** The observedAt of rows that carry no time of their own (the pipeline uses the file's mtime). */
  observedAt?: string;
  /** Today's date (YYYY-MM-DD): later birthdays are dropped. */
  today?: string;
}

export type MappingResult =
  | { ok: true; record: SourceRecord; cleanedFields: string[]; order?: OrderSummary }
  | { ok: false; reason: string };

const FALLBACK_OBSERVED_AT = '1970-01-01T00:00:00.000Z';

/** A cell as text: NDJSON numbers become their decimal text, null and missing become undefined. */
function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function lookup(row: Row, column: string): unknown {
  if (Object.hasOwn(row, column)) return row[column];
  if (!column.includes('.')) return undefined;
  let v: unknown = row;
  for (const key of column.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = own(v as Row, key);
  }
  return v;
}

const columnOf = (spec: ColumnSpec) => (typeof spec === 'string' ? spec : spec.column);

/** A mapped cell as text (a dotted column reaches into NDJSON objects): other imports read their rows so too. */
export const cellText = (row: Row, spec: ColumnSpec): string | undefined => text(lookup(row, columnOf(spec)));
const transformOf = (spec: ColumnSpec | undefined) => (typeof spec === 'object' ? spec.transform : undefined);

class Rejected extends Error {}

/**
 * One row of a source's export as a source record (and, for orders, the order). Identity fields
 * that are impossible reject the row; impossible profile fields are dropped and listed in
 * `cleanedFields` with every field that cleaning changed. A row without any identity key is
 * rejected: the resolver could never link it. The id is `<source>:<idField value>`, so importing
 * the same row twice gives the same record.
 *
 * @example applyMapping(crm, { card_no: 'VIP001', mobile: '138 0013 8000', name: ' 张三' }, 2)
 * // { ok: true, record: { id: 'crm:VIP001', identities: { phone: '+8613800138000', … }, … }, cleanedFields: ['phone', 'name'] }
 */
export function applyMapping(mapping: Mapping, row: Row, rowNo: number, ctx: ApplyContext = {}): MappingResult {
  try {
    return map(mapping, row, ctx);
  } catch (err) {
    if (err instanceof Rejected) return { ok: false, reason: err.message };
    return { ok: false, reason: `row ${rowNo}: ${(err as Error).message}` };
  }
}

/** One row being mapped; plain functions take it, so that no closures are made per row. */
interface RowState {
  mapping: Mapping;
  row: Row;
  cleanedFields: string[];
}

function raw(st: RowState, field: CanonicalField): string | undefined {
  const spec = st.mapping.columns[field];
  const v = spec ? text(lookup(st.row, columnOf(spec))) : undefined;
  return v === undefined || v === '' ? st.mapping.defaults?.[field] ?? v : v;
}

function dateOpts(mapping: Mapping, field: CanonicalField): { timeZone: string; order: DateOrder } {
  const t = transformOf(mapping.columns[field]);
  return { timeZone: mapping.timeZone, order: t === 'dmy' || t === 'mdy' ? t : mapping.dateOrder };
}

/** An identity: impossible rejects the row. */
function key<T>(st: RowState, field: string, c: Cleaned<T>): T | undefined {
  if (!c.ok) throw new Rejected(c.reason);
  if (c.changed) st.cleanedFields.push(field);
  return c.value;
}

/** A profile field: impossible is dropped, and counted as cleaned. */
function soft<T>(st: RowState, field: string, c: Cleaned<T>): T | undefined {
  if (!c.ok || c.changed) st.cleanedFields.push(field);
  return c.ok ? c.value : undefined;
}

function map(mapping: Mapping, row: Row, ctx: ApplyContext): MappingResult {
  const st: RowState = { mapping, row, cleanedFields: [] };
  const { cleanedFields } = st;

  const idColumns = typeof mapping.idField === 'string' ? [mapping.idField] : mapping.idField;
  const idParts: string[] = [];
  for (const c of idColumns) {
    const part = fold(text(lookup(row, c)) ?? '').trim();
    if (!part) throw new Rejected(`missing id (${c})`);
    idParts.push(part);
  }
  const id = `${mapping.source}:${idParts.join(':')}`;
  if (id.length > 160) throw new Rejected('id longer than 160 characters');

  const identities: RecordIdentities = {};
  const phone = key(st, 'phone', cleanPhone(raw(st, 'phone')));
  if (phone) identities.phone = phone;
  const cardNo = key(st, 'cardNo', cleanCardNo(raw(st, 'cardNo')));
  if (cardNo) identities.cardNo = cardNo;
  const unionId = key(st, 'unionId', cleanUnionId(raw(st, 'unionId')));
  if (unionId) identities.unionId = unionId;
  const openId = key(st, 'openId', cleanOpenId(raw(st, 'openId')));
  if (openId) {
    const appId = fold(raw(st, 'openIdApp') ?? mapping.openIdApp ?? '').trim();
    if (!/^[\w-]{2,64}$/.test(appId)) throw new Rejected('openId without a valid appId');
    identities.openIds = [{ appId, openId }];
  }
  const buyerNick = key(st, 'buyerNick', cleanBuyerNick(raw(st, 'buyerNick')));
  if (buyerNick) identities.buyerNick = buyerNick;
  const jdPin = key(st, 'jdPin', cleanJdPin(raw(st, 'jdPin')));
  if (jdPin) identities.jdPin = jdPin;
  if (Object.keys(identities).length === 0) throw new Rejected('no identity key (phone, card, unionId, openId, buyerNick or JD PIN)');

  const profile: RecordProfile = {};
  const name = soft(st, 'name', cleanName(raw(st, 'name')));
  if (name) profile.name = name;
  const gender = soft(st, 'gender', cleanGender(raw(st, 'gender')));
  if (gender) profile.gender = gender;
  const birthday = soft(st, 'birthday', cleanDate(raw(st, 'birthday'), { ...dateOpts(mapping, 'birthday'), min: BIRTHDAY_MIN, ...(ctx.today ? { max: ctx.today } : {}) }));
  if (birthday) profile.birthday = birthday;
  const region = soft(st, 'region', cleanRegion({ province: raw(st, 'province'), city: raw(st, 'city'), text: raw(st, 'region') }));
  if (region) profile.region = region;
  const registeredAt = soft(st, 'registeredAt', cleanDateTime(raw(st, 'registeredAt'), dateOpts(mapping, 'registeredAt')));
  if (registeredAt) profile.registeredAt = registeredAt;
  const homeStoreId = soft(st, 'homeStoreId', cleanStoreId(raw(st, 'homeStoreId')));
  if (homeStoreId) profile.homeStoreId = homeStoreId;
  const email = soft(st, 'email', cleanEmail(raw(st, 'email')));
  if (email) profile.email = email;

  const consent: RecordConsent = {};
  for (const [field, channel] of CONSENT_FIELDS) {
    const said = soft(st, field, cleanConsent(raw(st, field)));
    if (said !== undefined) consent[channel] = said;
  }

  let order: OrderSummary | undefined;
  if (mapping.kind === 'orders') order = mapOrder(st, id);

  let observedAt: string | undefined;
  if (mapping.observedAtField) {
    const c = cleanDateTime(text(lookup(row, mapping.observedAtField)), { timeZone: mapping.timeZone, order: mapping.dateOrder });
    observedAt = c.ok ? c.value : undefined;
  }
  observedAt ??= order?.at ?? ctx.observedAt ?? FALLBACK_OBSERVED_AT;

  const record: SourceRecord = { id, source: mapping.source, observedAt, identities, profile };
  const memberId = fold(raw(st, 'memberId') ?? '').trim();
  if (memberId) record.memberId = memberId;
  if (Object.keys(consent).length > 0) record.consent = consent;
  return order ? { ok: true, record, cleanedFields, order } : { ok: true, record, cleanedFields };
}

function money(field: string, input: string | undefined, spec: ColumnSpec | undefined): number | undefined {
  const c = cleanMoney(input, transformOf(spec) === 'cents' ? 'cents' : 'yuan');
  if (!c.ok) throw new Rejected(`${field}: ${c.reason}`);
  return c.value;
}

function mapOrder(st: RowState, id: string): OrderSummary {
  const { mapping, row } = st;
  const orderNo = fold(raw(st, 'orderNo') ?? '').trim();
  if (!orderNo) throw new Rejected('missing orderNo');
  const at = cleanDateTime(raw(st, 'orderAt'), dateOpts(mapping, 'orderAt'));
  if (!at.ok) throw new Rejected(`orderAt: ${at.reason}`);
  if (!at.value) throw new Rejected('missing orderAt');

  const spec = mapping.lines!;
  const items = lookup(row, spec.column);
  if (!Array.isArray(items)) throw new Rejected(`${spec.column}: not a list of lines`);
  const lines: OrderLine[] = items.map((item: unknown, i) => {
    if (item === null || typeof item !== 'object') throw new Rejected(`line ${i + 1}: not an object`);
    const cell = (s: ColumnSpec) => text(lookup(item as Row, columnOf(s)));
    const sku = fold(cell(spec.sku) ?? '').trim();
    if (!sku || sku.length > 64) throw new Rejected(`line ${i + 1}: missing or long sku`);
    const qtyText = fold(cell(spec.qty) ?? '').trim();
    if (!/^\d{1,7}$/.test(qtyText) || Number(qtyText) < 1) throw new Rejected(`line ${i + 1}: qty must be a positive whole number`);
    const unitPriceCents = money(`line ${i + 1} unitPrice`, cell(spec.unitPrice), spec.unitPrice);
    if (unitPriceCents === undefined) throw new Rejected(`line ${i + 1}: missing unitPrice`);
    const line: OrderLine = { sku, qty: Number(qtyText), unitPriceCents };
    const category = spec.category ? fold(cell(spec.category) ?? '').trim() : '';
    if (category) line.category = category.slice(0, 64);
    return line;
  });

  const linesCents = lines.reduce((sum, l) => sum + l.qty * l.unitPriceCents, 0);
  const total = money('totalAmount', raw(st, 'totalAmount'), mapping.columns.totalAmount) ?? linesCents;
  let paid = money('paidAmount', raw(st, 'paidAmount'), mapping.columns.paidAmount);
  let discount = money('discountAmount', raw(st, 'discountAmount'), mapping.columns.discountAmount);
  if (paid === undefined) paid = total - (discount ?? 0);
  discount ??= total - paid;
  if (paid < 0 || discount < 0) throw new Rejected('paid or discount larger than the total');
  return { id, recordId: id, orderNo, totalCents: total, discountCents: discount, paidCents: paid, status: orderStatus(raw(st, 'status')), at: at.value, lines };
}
