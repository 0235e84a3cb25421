import type { OrderLine, OrderSummary } from './order.ts';
import { packTime, unpackTime } from './packed-time.ts';
import type { RecordConsent, SourceRecord } from './record.ts';

/*
 * An import's chunk as hub-identity holds it (decision 042): its records and orders as rows of
 * values, the field names said once per chunk. The database's cost while an import is stored
 * follows the bytes written, and as objects a record was 60% names: `"identities":{"phone":`,
 * the source in every id, times as 24 characters. Packed, a record is about 40% of that.
 * `chunkRecords` and `chunkOrders` give back exactly what was packed (a property test, through
 * JSON), and read a chunk stored whole before this change too.
 */

type Row = unknown[];
type Mutable = { -readonly [K in keyof SourceRecord]: SourceRecord[K] } & { identities: Record<string, unknown>; profile: Record<string, unknown> };

const CONSENT_CHANNELS = ['sms', 'wechat', 'email', 'phone'] as const;

/** Consent as a number: a base-3 digit per channel (0 not said, 1 no, 2 yes). */
function packConsent(c: RecordConsent): number {
  let code = 0;
  for (let i = CONSENT_CHANNELS.length - 1; i >= 0; i--) {
    const v = c[CONSENT_CHANNELS[i]!];
    code = code * 3 + (v === undefined ? 0 : v ? 2 : 1);
  }
  return code;
}
function unpackConsent(code: number): RecordConsent {
  const out: RecordConsent = {};
  for (const channel of CONSENT_CHANNELS) {
    const d = code % 3;
    if (d > 0) out[channel] = d === 2;
    code = Math.floor(code / 3);
  }
  return out;
}

interface Field {
  name: string;
  get(r: SourceRecord): unknown;
  set(r: Mutable, v: unknown): void;
}
const identity = (key: string): Field => ({ name: key, get: (r) => (r.identities as Record<string, unknown>)[key], set: (r, v) => (r.identities[key] = v) });
const profile = (key: string): Field => ({ name: key, get: (r) => (r.profile as Record<string, unknown>)[key], set: (r, v) => (r.profile[key] = v) });

/** Every field a record may have, in the order rows give them; a chunk lists those it uses. */
const FIELDS: readonly Field[] = [
  { name: 'source', get: (r) => r.source, set: (r, v) => (r.source = String(v)) },
  { name: 'observedAt', get: (r) => packTime(r.observedAt), set: (r, v) => (r.observedAt = unpackTime(v)) },
  identity('phone'),
  identity('cardNo'),
  identity('unionId'),
  {
    name: 'openIds',
    get: (r) => r.identities.openIds?.map((o) => [o.appId, o.openId]),
    set: (r, v) => (r.identities.openIds = (v as [string, string][]).map(([appId, openId]) => ({ appId, openId }))),
  },
  identity('buyerNick'),
  identity('jdPin'),
  profile('name'),
  profile('gender'),
  profile('birthday'),
  {
    name: 'region',
    get: (r) => (r.profile.region ? [r.profile.region.province ?? null, r.profile.region.city ?? null] : undefined),
    set: (r, v) => {
      const [province, city] = v as [string | null, string | null];
      r.profile.region = { ...(province !== null ? { province } : {}), ...(city !== null ? { city } : {}) };
    },
  },
  { name: 'registeredAt', get: (r) => (r.profile.registeredAt === undefined ? undefined : packTime(r.profile.registeredAt)), set: (r, v) => (r.profile.registeredAt = unpackTime(v)) },
  profile('homeStoreId'),
  profile('email'),
  { name: 'memberId', get: (r) => r.memberId, set: (r, v) => (r.memberId = String(v)) },
  { name: 'provisional', get: (r) => (r.provisional === undefined ? undefined : r.provisional ? 1 : 0), set: (r, v) => (r.provisional = v === 1) },
  { name: 'consent', get: (r) => (r.consent ? packConsent(r.consent) : undefined), set: (r, v) => (r.consent = unpackConsent(Number(v))) },
];
const FIELD_BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));

/** An order's columns: its id and its buyer's record id only where they are not `<source>:<orderNo>`. */
type PackedOrder = [orderNo: string, id: string | null, recordId: string | null, totalCents: number, discountCents: number, paidCents: number, status: string, at: number | string, lines: Row[]];

export type PackedChunk = {
  /** Set when every record is of this source and every id starts `<source>:`, which rows then leave out. */
  source?: string;
  fields: string[];
  rows: Row[];
  orders?: PackedOrder[];
};

/** Rows of values for the fields the chunk's records use, trailing absent values left out. */
export function packChunk(records: readonly SourceRecord[], orders: readonly OrderSummary[] = []): PackedChunk {
  const first = records[0]?.source ?? orders[0]?.id.split(':')[0];
  const prefix = `${first}:`;
  const common = first !== undefined && records.every((r) => r.source === first && r.id.startsWith(prefix));
  // Each field's value once per record (times are costly to pack), then only the fields used.
  const fields = common ? FIELDS.filter((f) => f.name !== 'source') : FIELDS;
  const used = new Uint8Array(fields.length);
  const values = records.map((r) =>
    fields.map((f, k) => {
      const v = f.get(r);
      if (v === undefined) return null;
      used[k] = 1;
      return v;
    }),
  );
  const rows = records.map((r, i) => {
    const row: Row = [common ? r.id.slice(prefix.length) : r.id];
    for (let k = 0; k < fields.length; k++) if (used[k]) row.push(values[i]![k]);
    while (row.length > 1 && row[row.length - 1] === null) row.pop();
    return row;
  });
  const packed: PackedChunk = { ...(common ? { source: first } : {}), fields: fields.filter((_, k) => used[k]).map((f) => f.name), rows };
  if (orders.length > 0) {
    const id = (orderNo: string) => (common ? `${prefix}${orderNo}` : undefined);
    packed.orders = orders.map((o) => {
      const ownId = o.id === id(o.orderNo) ? null : o.id;
      return [o.orderNo, ownId, o.recordId === o.id ? null : o.recordId, o.totalCents, o.discountCents, o.paidCents, o.status, packTime(o.at), o.lines.map(packLine)];
    });
  }
  return packed;
}

const packLine = (l: OrderLine): Row => (l.category === undefined ? [l.sku, l.qty, l.unitPriceCents] : [l.sku, l.qty, l.unitPriceCents, l.category]);
const unpackLine = (l: Row): OrderLine => ({ sku: String(l[0]), ...(l.length > 3 ? { category: String(l[3]) } : {}), qty: Number(l[1]), unitPriceCents: Number(l[2]) });

/** A stored chunk: packed (decision 042) or as it was written before (`records`, `orders` whole). */
type ChunkLike = Readonly<Record<string, unknown>>;

const isPacked = (doc: ChunkLike) => Array.isArray(doc.fields) && Array.isArray(doc.rows);

/** The source records of a stored chunk, in the order they were packed. */
export function chunkRecords(doc: ChunkLike): SourceRecord[] {
  if (!isPacked(doc)) return Array.isArray(doc.records) ? (doc.records as SourceRecord[]) : [];
  const source = typeof doc.source === 'string' ? doc.source : undefined;
  const fields = (doc.fields as string[]).map((name) => {
    const f = FIELD_BY_NAME.get(name);
    if (!f) throw new Error(`stored chunk: unknown field ${name}`);
    return f;
  });
  return (doc.rows as Row[]).map((row) => {
    const r = { id: source === undefined ? String(row[0]) : `${source}:${String(row[0])}`, source: source ?? '', observedAt: '', identities: {}, profile: {} } as Mutable;
    for (let k = 0; k < fields.length; k++) {
      const v = row[k + 1];
      if (v !== null && v !== undefined) fields[k]!.set(r, v);
    }
    return r;
  });
}

/** The online orders of a stored chunk (an orders export's), as the import read them. */
export function chunkOrders(doc: ChunkLike): OrderSummary[] {
  if (!Array.isArray(doc.orders)) return [];
  if (!isPacked(doc)) return doc.orders as OrderSummary[];
  const source = typeof doc.source === 'string' ? doc.source : undefined;
  return (doc.orders as PackedOrder[]).map(([orderNo, ownId, recordId, totalCents, discountCents, paidCents, status, at, lines]) => {
    const id = ownId ?? `${source}:${orderNo}`;
    return { id, recordId: recordId ?? id, orderNo, totalCents, discountCents, paidCents, status: status as OrderSummary['status'], at: unpackTime(at), lines: lines.map(unpackLine) };
  });
}
