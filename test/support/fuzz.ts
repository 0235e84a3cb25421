import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '../../shared/errors.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { seedMemberCode, seedMemberId, seedPhone } from '../../shared/seed-members.ts';
import { client, removeDir, startEdge, tempDir, type ServiceProcess } from './edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, type HubProcess } from './hub.ts';

/*
 * The fuzz harness of issue 10: requests to every route of the edge's POS API, the hub's admin,
 * One-ID and store APIs and the replication gateway, generated with fast-check from the routes'
 * schemas as valid, nearly valid and hostile values, sent over HTTP to real processes, each
 * answer checked against the invariants every route promises (see `checkAnswer`). The CI tests
 * (test/integration/fuzz-*.test.ts) and `npm run bench -- fuzz` run the same generators and checks.
 */

// ---------------------------------------------------------------------------------------------
// JSON as a client can send it: duplicate keys, raw number tokens JSON.stringify cannot write.

/** A JSON text inserted as is: `1e400`, `-0`, deep nesting, a broken document. */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object as a list of entries, so that a key may appear twice and `__proto__` is a plain key. */
export class Obj {
  constructor(readonly entries: readonly (readonly [string, J])[]) {}
}
export type J = null | boolean | number | string | Raw | Obj | readonly J[];

/** A plain value as J; undefined fields are left out (fc.option's "absent"). */
export function j(v: unknown): J {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' || v instanceof Raw || v instanceof Obj) return v;
  if (Array.isArray(v)) return v.map(j);
  if (typeof v === 'object') return new Obj(Object.entries(v as object).filter(([, x]) => x !== undefined).map(([k, x]) => [k, j(x)] as const));
  throw new Error(`not JSON: ${String(v)}`);
}

export function toJson(v: J): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Obj) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  return JSON.stringify(v);
}

/** Every string a value carries (keys, values, raw texts), for the echo check. */
function stringsOf(v: J, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Raw) out.push(v.text);
  else if (v instanceof Obj) for (const [k, x] of v.entries) out.push(k), stringsOf(x, out);
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

export const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'isPrototypeOf', '__defineGetter__'];
/** Ids that mean something else to CouchDB, to a path or to a URL. */
export const ID_TRICKS = ['_design/x', '_local/x', '_all_docs', '_users', '_replicator', '../', '..', '.', '%2F', '..%2F', '../../etc/passwd', 'a/b', '?x=1', '#x', '%00', '%', '%ZZ'];
const CONTROLS = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f', '\u0085', '\u2028', '\u2029', '\u200b', '\ufeff'];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTO_KEYS),
  fc.constantFrom(...ID_TRICKS),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\u202eevil', 'Name\u202e', '\ud800', '\udfff', 'x\ud800y', '\r\n', '𝓤𝓷𝓲', 'Ωμέγα', '王伟', 'null', 'undefined', 'NaN', 'true', '0'),
  fc.constantFrom(...CONTROLS).map((c) => `a${c}b`),
  fc.constantFrom(256, 10_000, 20_000).map((n) => 'A'.repeat(n)),
  fc.constantFrom(...PROTO_KEYS).map((k) => `${k}`.repeat(2)),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 24 }),
  fc.string({ maxLength: 24 }),
);

/** Numbers no field should take and tokens that are numbers only to JSON: 1e400 is Infinity to JSON.parse. */
export const hostileNumber: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom(0, -1, -0.5, 0.5, 1.5, 1e300, -1e300, 1e21, 2 ** 53 + 2, -(2 ** 53) - 2, 2 ** 31, 2 ** 32, 1e-300, Number.MAX_VALUE, 99_999_999_999),
  fc.constantFrom('1e400', '-1e400', '1E+300', '1.0', '0.1e1', '-0', '1e-400', '123456789012345678901234567890').map((t) => new Raw(t)),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e300', '0x10', ' 5', '-0'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const deepNesting = fc.integer({ min: 50, max: 20_000 }).chain((n) => fc.constantFrom(new Raw('['.repeat(n) + ']'.repeat(n)), new Raw('{"a":'.repeat(n) + '1' + '}'.repeat(n))));

/** Text that is markup if a page shows it unescaped (checkAnswer looks for `fz-xss` in a tag). */
export const MARKUP_PROBES = ['"><script>fz-xss()</script>', "<img src=x onerror=fz-xss()>", "'><svg onload=fz-xss()>", '</textarea><script>fz-xss()</script>'];

export const hostileKey: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...PROTO_KEYS), hostileString);

export const hostileValue: fc.Arbitrary<J> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: hostileNumber, weight: 4 },
  { arbitrary: fc.constantFrom<J>(null, true, false, [], new Obj([])), weight: 2 },
  { arbitrary: fc.constantFrom(...PROTO_KEYS).map((k) => new Obj([[k, new Obj([['polluted', true]])]])), weight: 1 },
  { arbitrary: fc.array(hostileString, { maxLength: 3 }), weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
);

/** Whole bodies that are not the object a route wants. */
const hostileBody: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom<J>(new Raw(''), new Raw('null'), new Raw('[]'), new Raw('"x"'), new Raw('42'), new Raw('{'), new Raw('{"a":1,}'), new Raw("{'a':1}"), new Raw('\u0000'), new Raw('{"__proto__":{"admin":true}}'), new Raw('{"constructor":{"prototype":{"x":1}}}')),
  deepNesting,
  fc.constantFrom(70_000, 200_000).map((n) => new Raw(JSON.stringify({ pad: 'x'.repeat(n) }))),
);

// ---------------------------------------------------------------------------------------------
// Mutations of a valid body.

type Path = readonly number[];
function paths(v: J, at: Path = [], out: Path[] = []): Path[] {
  if (v instanceof Obj) v.entries.forEach(([, x], i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  else if (Array.isArray(v)) v.forEach((x, i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  return out;
}
function update(v: J, at: Path, f: (old: J, key: string | undefined) => J | undefined): J {
  const [i, ...rest] = at as [number, ...number[]];
  if (v instanceof Obj) {
    const entries = v.entries.flatMap(([k, x], n) => {
      if (n !== i) return [[k, x] as const];
      const next = rest.length ? update(x, rest, f) : f(x, k);
      return next === undefined ? [] : [[k, next] as const];
    });
    return new Obj(entries);
  }
  if (Array.isArray(v)) return v.flatMap((x, n) => (n !== i ? [x] : (() => { const next = rest.length ? update(x, rest, f) : f(x, undefined); return next === undefined ? [] : [next]; })()));
  return v;
}
function objectsIn(v: J): Path[] {
  return [[], ...paths(v)].filter((p) => at(v, p) instanceof Obj);
}
function at(v: J, p: Path): J {
  let cur = v;
  for (const i of p) cur = cur instanceof Obj ? cur.entries[i]![1] : (cur as J[])[i]!;
  return cur;
}
function addEntry(v: J, p: Path, key: string, value: J, first: boolean): J {
  const add = (o: J) => (o instanceof Obj ? new Obj(first ? [[key, value], ...o.entries] : [...o.entries, [key, value]]) : o);
  return p.length === 0 ? add(v) : update(v, p, (o) => add(o));
}

/**
 * A valid body, or one change away from valid (a field hostile, missing, doubled or unknown),
 * or not an object at all. Most requests stay close to valid so that they reach deep code.
 */
export function mutated(valid: fc.Arbitrary<J>): fc.Arbitrary<J> {
  return valid.chain((v) => {
    const ps = paths(v);
    const objs = objectsIn(v);
    const pick = <T>(xs: readonly T[]) => fc.nat({ max: Math.max(0, xs.length - 1) }).map((n) => xs[n]!);
    const options: fc.WeightedArbitrary<J>[] = [
      { arbitrary: fc.constant(v), weight: 4 },
      { arbitrary: fc.constant(null).chain(() => (ps.length ? fc.tuple(pick(ps), hostileValue).map(([p, h]) => update(v, p, () => h)) : fc.constant(v))), weight: 6 },
      { arbitrary: ps.length ? pick(ps).map((p) => update(v, p, () => undefined)) : fc.constant(v), weight: 1 },
      { arbitrary: fc.tuple(pick(objs), hostileKey, fc.oneof(hostileValue, fc.constant<J>(1)), fc.boolean()).map(([p, k, h, first]) => addEntry(v, p, k, h, first)), weight: 2 },
      {
        // The same key twice: JSON.parse keeps the last, a proxy or another parser may keep the first.
        arbitrary: ps.length
          ? fc.tuple(pick(ps.filter((p) => at(v, p.slice(0, -1)) instanceof Obj).concat(ps.length ? [] : [])), hostileValue, fc.boolean()).map(([p, h, first]) => {
              const parent = at(v, p.slice(0, -1));
              if (!(parent instanceof Obj)) return v;
              return addEntry(v, p.slice(0, -1), parent.entries[p[p.length - 1]!]![0], h, first);
            })
          : fc.constant(v),
        weight: 1,
      },
      { arbitrary: hostileBody, weight: 1 },
    ];
    return fc.oneof(...options);
  });
}

// ---------------------------------------------------------------------------------------------
// Requests.

/** `operator`: the console's session cookie (the CSRF token rides in the form, as a browser sends it). */
export type Auth = 'terminal' | 'admin' | 'store' | 'operator' | 'none';
/** How a request authenticates: as its route wants, or in one of the ways that must be refused. */
export type AuthVariant = 'good' | 'none' | 'lowercase-scheme' | 'wrong-secret' | 'other-scheme' | 'garbage';
export type ContentType = 'json' | 'none' | 'text' | 'json-charset' | 'form' | 'jsonx';

export interface FuzzRequest {
  /** The route as its router declares it, for counting: `POST /v1/members/:id/interactions`. */
  route: string;
  method: string;
  /** Path and query, encoded. */
  path: string;
  auth: Auth;
  authVariant: AuthVariant;
  contentType: ContentType;
  body?: string;
  /** Strings the request carried (decoded path parameters, body keys and values). */
  echoes: string[];
  /** The parts of the service's state a refusal of this request must leave as they were. */
  writes: readonly string[];
  /** Must not write even when it succeeds (a GET, coupon verify). */
  readOnly: boolean;
}

/** A path parameter: the text as sent in the URL and as the server should decode it. */
export interface Seg {
  text: string;
  decoded: string;
}
/** Percent-encoding that survives lone surrogates (encodeURIComponent throws on them). */
export function enc(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
    if (pair) out += encodeURIComponent(s.slice(i, i + 2)), i++;
    else if (c >= 0xd800 && c <= 0xdfff) out += '%ED%A0%80';
    else out += encodeURIComponent(s[i]!);
  }
  return out;
}

/** A path parameter from a pool of real values, a hostile text, or a raw trick such as `..%2F`. */
export function seg(valid: fc.Arbitrary<string>): fc.Arbitrary<Seg> {
  return fc.oneof(
    { arbitrary: valid.map((s) => ({ text: enc(s), decoded: s })), weight: 6 },
    { arbitrary: hostileString.map((s) => ({ text: enc(s), decoded: s })), weight: 3 },
    { arbitrary: fc.constantFrom(...ID_TRICKS).map((s) => ({ text: s, decoded: s })), weight: 1 },
  );
}

/** A path with parameters: p`/v1/members/${seg(ids)}/points`. */
export function p(parts: TemplateStringsArray, ...segs: fc.Arbitrary<Seg>[]): fc.Arbitrary<Seg> {
  return fc.tuple(...segs).map((xs) => ({
    text: parts.reduce((acc, part, i) => acc + part + (i < xs.length ? xs[i]!.text : ''), ''),
    decoded: xs.map((x) => x.decoded).join('\u0000'),
  }));
}

/** A query string of optional parameters, each valid or hostile. */
export function query(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Seg> {
  const entries = Object.entries(params).map(([k, v]) =>
    fc.option(fc.oneof({ arbitrary: v, weight: 3 }, { arbitrary: hostileString, weight: 1 }, { arbitrary: hostileNumber.map(toJson), weight: 1 }).map((x) => [k, x] as const), { nil: undefined }),
  );
  return fc.tuple(...entries).map((kv) => {
    const given = kv.filter((x): x is readonly [string, string] => x !== undefined);
    return { text: given.length ? `?${given.map(([k, v]) => `${k}=${enc(v)}`).join('&')}` : '', decoded: given.map(([, v]) => v).join('\u0000') };
  });
}

export interface RouteSpec {
  route: string;
  method: string;
  path: fc.Arbitrary<Seg>;
  /** A valid body; absent for routes without one. */
  body?: fc.Arbitrary<J>;
  auth: Auth;
  writes?: readonly string[];
  readOnly?: boolean;
  /** How the body is sent (JSON unless said): a console form is `form`, encoded by `encode`. */
  contentType?: ContentType;
  encode?: (body: J) => string;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** The requests of one route: mostly as its clients call it, sometimes with the wrong method, auth or content type. */
export function requests(spec: RouteSpec): fc.Arbitrary<FuzzRequest> {
  const body: fc.Arbitrary<J | undefined> = spec.body ? mutated(spec.body) : fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: hostileBody, weight: 1 });
  return fc
    .record({
      path: spec.path,
      body,
      method: fc.oneof({ arbitrary: fc.constant(spec.method), weight: 14 }, { arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== spec.method)), weight: 1 }),
      authVariant: fc.oneof(
        { arbitrary: fc.constant<AuthVariant>('good'), weight: 20 },
        { arbitrary: fc.constantFrom<AuthVariant>('none', 'lowercase-scheme', 'wrong-secret', 'other-scheme', 'garbage'), weight: spec.auth === 'none' ? 0 : 1 },
      ),
      contentType: fc.oneof({ arbitrary: fc.constant<ContentType>(spec.contentType ?? 'json'), weight: 14 }, { arbitrary: fc.constantFrom<ContentType>(...CONTENT_TYPE_NAMES.filter((t) => t !== (spec.contentType ?? 'json'))), weight: 1 }),
    })
    .map(({ path, body, method, authVariant, contentType }) => {
      const text = body === undefined ? undefined : (spec.encode ?? toJson)(body);
      const canHaveBody = method !== 'GET' && method !== 'HEAD';
      return {
        route: spec.route,
        method,
        path: path.text,
        auth: spec.auth,
        authVariant,
        contentType,
        ...(text !== undefined && canHaveBody ? { body: text } : {}),
        echoes: [...path.decoded.split('\u0000'), ...(body === undefined ? [] : stringsOf(body)), ...(text !== undefined ? [text] : [])],
        writes: spec.writes ?? [],
        readOnly: spec.readOnly ?? (spec.method === 'GET' || spec.method === 'HEAD'),
      };
    });
}

// ---------------------------------------------------------------------------------------------
// The edge's POS API.

export interface EdgeFixture {
  /** Members the node holds, with points. */
  memberIds: string[];
  /** A coupon issued to memberIds[0]. */
  couponCode: string;
  /** A checkout of memberIds[0] that can be refunded. */
  checkoutId: string;
}

const receiptNo = fc.oneof(fc.constantFrom('R1', 'R2', 'R3', 'SETUP1'), fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/));
const sku = fc.constantFrom('SKU-1', 'SKU-2', 'CUP-001', 'TEA-7');
const line = fc.record({ sku, category: fc.option(fc.constantFrom('food', 'apparel', 'cups'), { nil: undefined }), qty: fc.integer({ min: 1, max: 5 }), unitPrice: fc.integer({ min: 0, max: 60_000 }) });
const lines = fc.array(line, { minLength: 1, maxLength: 4 });
/** Lines at the schema's limits: 500 lines of qty 10,000 at 1e8 fen are all valid. */
const linesAtLimits = fc.constantFrom(1, 20, 500).map((n) => Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i % 3}`, qty: 10_000, unitPrice: 100_000_000 })));
/** Receipts at the limits have receipt numbers of their own, so that they are not refused as a conflict with an everyday one, and are refunded. */
const BIG_RECEIPTS = ['BIG1', 'BIG2', 'BIG3'];
const phone = fc.oneof(fc.integer({ min: 0, max: 9 }).map(seedPhone), fc.integer({ min: 0, max: 99_999_999 }).map((n) => `+86 138${String(n).padStart(8, '0')}`), fc.constantFrom('13912345678', '+8613900000000', '139 0000 0001'));
const identities = {
  cardNo: fc.oneof(fc.constantFrom('CARD0001', 'FZCARD1'), fc.stringMatching(/^[A-Z0-9]{4,12}$/)),
  unionId: fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/),
  openId: fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/),
  appId: fc.constantFrom('wx1234', 'wxapp'),
};

/** Every route of the edge (edge/app.ts and edge/routes/*), with the state each may write. */
export function edgeRoutes(fx: EdgeFixture): RouteSpec[] {
  const member = fc.oneof({ arbitrary: fc.constantFrom(...fx.memberIds), weight: 4 }, { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{4,20}$/), weight: 1 });
  const memberSeg = seg(member);
  const identify = fc.oneof(
    fc.record({ phone }),
    fc.record({ memberCode: fc.integer({ min: 0, max: 9 }).map(seedMemberCode) }),
    fc.record({ cardNo: identities.cardNo }),
    fc.record({ unionId: identities.unionId }),
    fc.record({ openId: identities.openId, appId: identities.appId }),
  );
  const w = ['seq', 'members'];
  return [
    { route: 'GET /healthz', method: 'GET', path: fc.constant({ text: '/healthz', decoded: '' }), auth: 'none' },
    { route: 'POST /v1/members/identify', method: 'POST', path: fc.constant({ text: '/v1/members/identify', decoded: '' }), auth: 'terminal', body: identify.map(j), writes: w },
    { route: 'GET /v1/members/:id/consent', method: 'GET', path: p`/v1/members/${memberSeg}/consent`, auth: 'terminal' },
    { route: 'POST /v1/members/:id/consent', method: 'POST', path: p`/v1/members/${memberSeg}/consent`, auth: 'terminal', writes: w, body: fc.record({ channel: fc.constantFrom('sms', 'wechat', 'email', 'phone', 'fax'), granted: fc.boolean() }).map(j) },
    {
      route: 'POST /v1/members',
      method: 'POST',
      path: fc.constant({ text: '/v1/members', decoded: '' }),
      auth: 'terminal',
      writes: w,
      body: fc
        .record({
          phone,
          name: fc.option(fc.constantFrom('Wang Wei', '李娜', 'Zoë'), { nil: undefined }),
          gender: fc.option(fc.constantFrom('M', 'F', 'U'), { nil: undefined }),
          birthday: fc.option(fc.constantFrom('1990-05-17', '2001-12-31', '1970-01-01'), { nil: undefined }),
          cardNo: fc.option(identities.cardNo, { nil: undefined }),
          unionId: fc.option(identities.unionId, { nil: undefined }),
        })
        .map(j),
    },
    { route: 'GET /v1/members/:id', method: 'GET', path: p`/v1/members/${memberSeg}`, auth: 'terminal', writes: w },
    { route: 'GET /v1/members/:id/points', method: 'GET', path: fc.tuple(p`/v1/members/${memberSeg}/points`, query({ limit: fc.constantFrom('1', '5', '100', '1000', '5000') })).map(([a, q]) => ({ text: a.text + q.text, decoded: `${a.decoded}\u0000${q.decoded}` })), auth: 'terminal', writes: w },
    {
      route: 'POST /v1/members/:id/interactions',
      method: 'POST',
      path: p`/v1/members/${memberSeg}/interactions`,
      auth: 'terminal',
      writes: w,
      body: fc.record({ kind: fc.constantFrom('checkin', 'survey', 'invite_friend', 'profile_completed', 'favourite_store', 'join_event', 'no_such_kind'), ref: fc.option(fc.constantFrom('S1', 'friend-2', 'q3'), { nil: undefined }) }).map(j),
    },
    {
      route: 'POST /v1/checkouts',
      method: 'POST',
      path: fc.constant({ text: '/v1/checkouts', decoded: '' }),
      auth: 'terminal',
      writes: w,
      body: fc
        .record({
          receiptNo,
          memberId: fc.option(member, { nil: undefined }),
          lines,
          couponCodes: fc.option(fc.array(fc.constantFrom(fx.couponCode, 'NOPE-0000'), { minLength: 1, maxLength: 2 }), { nil: undefined }),
          pointsToRedeem: fc.option(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 600 }), weight: 9 }, { arbitrary: fc.constantFrom(2 ** 53 - 1, 1e15), weight: 1 }), { nil: undefined }),
        })
        .chain((b) => fc.oneof({ arbitrary: fc.constant(b), weight: 8 }, { arbitrary: fc.tuple(fc.constantFrom(...BIG_RECEIPTS), fc.constantFrom(...fx.memberIds), linesAtLimits).map(([receiptNo, memberId, lines]) => ({ receiptNo, memberId, lines })), weight: 2 }))
        .map(j),
    },
    {
      route: 'POST /v1/checkouts/:id/refunds',
      method: 'POST',
      path: p`/v1/checkouts/${seg(fc.oneof(fc.constant(fx.checkoutId), receiptNo.map((r) => `S001:T1:${r}`), fc.constantFrom(...BIG_RECEIPTS).map((r) => `S001:T1:${r}`)))}/refunds`,
      auth: 'terminal',
      writes: w,
      body: fc.record({ refundNo: receiptNo, lines: fc.option(fc.array(fc.record({ sku, qty: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }), { nil: undefined }) }).map(j),
    },
    {
      route: 'POST /v1/coupons/:code/verify',
      method: 'POST',
      path: p`/v1/coupons/${seg(fc.constantFrom(fx.couponCode, fx.couponCode.toLowerCase(), 'NOPE-0000'))}/verify`,
      auth: 'terminal',
      writes: w,
      readOnly: true,
      body: fc.record({ memberId: member, lines }).map(j),
    },
    // Points catalogue and coupon pools (decision 020)
    { route: 'GET /v1/exchanges/catalogue', method: 'GET', path: fc.constant({ text: '/v1/exchanges/catalogue', decoded: '' }), auth: 'terminal', writes: w },
    {
      route: 'POST /v1/exchanges',
      method: 'POST',
      path: fc.constant({ text: '/v1/exchanges', decoded: '' }),
      auth: 'terminal',
      writes: w,
      body: fc.record({ requestId: fc.oneof(fc.constantFrom('fuzz-req-0001', 'fuzz-req-0002'), fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/)), memberId: member, rewardId: fc.constantFrom('CASH-500', 'CUP', 'NOPE') }).map(j),
    },
    { route: 'POST /v1/exchanges/:id/refund', method: 'POST', path: p`/v1/exchanges/${seg(fc.oneof(fc.constantFrom('S001:fuzz-req-0001', 'S002:fuzz-req-0001'), fc.stringMatching(/^[A-Za-z0-9:_-]{1,40}$/)))}/refund`, auth: 'terminal', writes: w },
    {
      route: 'POST /v1/coupon-pools/:id/claims',
      method: 'POST',
      path: p`/v1/coupon-pools/${seg(fc.constantFrom('P1', 'NOPE', '__proto__'))}/claims`,
      auth: 'terminal',
      writes: w,
      body: fc.record({ requestId: fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/), memberId: member }).map(j),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The hub: admin API, One-ID, store API and the replication gateway.

export interface HubFixture {
  /** The store whose credentials the gateway and store API requests use; never disabled by the fuzzer. */
  storeId: string;
  storeDb: string;
  /** Another enrolled store, for disable, enable, codes and seed. */
  otherStoreId: string;
  memberIds: string[];
}

/** A few store ids, so that valid store creations add a handful of databases, not thousands. */
const newStoreId = fc.constantFrom('FZ1', 'FZ2', 'FZ3', 'FZ4');
const templateId = fc.constantFrom('FT1', 'FT2', 'CASH20');
const iso = fc.constantFrom('2026-01-01T00:00:00.000Z', '2025-06-30T12:00:00.000Z');
const recordId = fc.integer({ min: 1, max: 20 }).map((n) => `fz:${n}`);

function template(id: string) {
  return fc
    .record({
      id: fc.constant(id),
      title: fc.constantFrom('Fuzz 5 off', '优惠'),
      terms: fc.oneof(
        fc.record({ kind: fc.constant('cash'), valueCents: fc.integer({ min: 1, max: 5000 }), minSpendCents: fc.integer({ min: 0, max: 10_000 }) }),
        fc.record({ kind: fc.constant('percent'), percentOff: fc.integer({ min: 1, max: 100 }), capCents: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }) }),
        fc.record({ kind: fc.constant('gift'), giftSku: sku }),
      ),
      scope: fc.option(fc.record({ stores: fc.option(fc.constant(['S001']), { nil: undefined }), categories: fc.option(fc.constant(['cups']), { nil: undefined }) }), { nil: undefined }),
      validDays: fc.integer({ min: 1, max: 90 }),
      version: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    })
    .map(j);
}

/** Documents a store might push, real and forged; the mutator makes them hostile. */
function storeDocs(fx: HubFixture): fc.Arbitrary<J> {
  const n = fc.integer({ min: 1, max: 50 });
  const member = fc.constantFrom(...fx.memberIds, 'MSEED00000100');
  const storeId = fc.constantFrom(fx.storeId, fx.otherStoreId, '__proto__');
  const doc = fc.oneof(
    fc.record({ _id: n.map((i) => `order:${fx.storeId}:T9:FZ${i}`), type: fc.constant('order'), storeId, terminalId: fc.constant('T9'), receiptNo: n.map((i) => `FZ${i}`), memberId: member, at: iso, lines: fc.constant([{ sku: 'SKU-1', qty: 1, unitPriceCents: 1000 }]), totalCents: fc.constant(1000), payableCents: fc.constant(1000) }),
    fc.record({ _id: fc.tuple(member, n).map(([m, i]) => `pts:${m}:01FZ${String(i).padStart(22, '0')}`), type: fc.constant('pts'), storeId, memberId: member, delta: fc.constantFrom(100, 100_000, -50), reason: fc.constantFrom('earn', 'redeem', 'interaction'), at: iso }),
    fc.record({ _id: fc.constantFrom('idk:card:EVILCARD1', 'idk:phone:+8613900000001'), type: fc.constant('idk'), memberId: member }),
    fc.record({ _id: n.map((i) => `member:FZM${i}`), type: fc.constant('member'), id: n.map((i) => `FZM${i}`), registeredStoreId: storeId, registeredAt: iso, phone: fc.constant('+8613700000001') }),
    fc.record({ _id: fc.constant(`heartbeat:${fx.storeId}`), type: fc.constant('heartbeat'), storeId, clock: iso }),
    fc.record({ _id: fc.constantFrom('_design/x', '_local/x', 'rules:loyalty', 'coupon:FREE-1', 'tpl:CASH20', '__proto__'), type: fc.constantFrom('design', 'rules', 'coupon', 'tpl') }),
  );
  return fc.record({ docs: fc.array(doc, { minLength: 1, maxLength: 3 }), new_edits: fc.option(fc.boolean(), { nil: undefined }) }).map(j);
}

/** Every route of the hub (hub/routes/*, hub/gateway.ts), with the state each may write. */
export function hubRoutes(fx: HubFixture): RouteSpec[] {
  const store = seg(fc.constantFrom(fx.otherStoreId, 'FZ1', 'NOPE'));
  const member = seg(fc.constantFrom(...fx.memberIds, 'NOPE0000'));
  const db = fx.storeDb;
  const couch = (rest: fc.Arbitrary<Seg>) => rest.map((r) => ({ text: `/couch/${db}/${r.text}`, decoded: r.decoded }));
  const docId = seg(fc.constantFrom(`member:${fx.memberIds[0]}`, 'rules:loyalty', `heartbeat:${fx.storeId}`, 'nope'));
  const identify = fc.oneof(fc.record({ phone }), fc.record({ memberCode: fc.integer({ min: 0, max: 9 }).map(seedMemberCode) }), fc.record({ cardNo: identities.cardNo })).map(j);
  const none = (text: string) => fc.constant({ text, decoded: '' });
  const sourceRecord = fc
    .record({
      id: recordId,
      source: fc.constantFrom('fz', 'crm'),
      observedAt: iso,
      identities: fc.record({ phone: fc.option(fc.constantFrom('+8613700000001', '+8613700000002'), { nil: undefined }), cardNo: fc.option(fc.constantFrom('FZCARD1', 'FZCARD2'), { nil: undefined }) }),
      profile: fc.record({ name: fc.option(fc.constantFrom('Li Na', 'Wang Wei'), { nil: undefined }), gender: fc.option(fc.constantFrom('M', 'F'), { nil: undefined }), birthday: fc.option(fc.constant('1990-01-02'), { nil: undefined }) }),
      memberId: fc.option(fc.constantFrom(...fx.memberIds), { nil: undefined }),
    })
    .map(j);
  const stores = ['stores'];
  const identity = ['identity'];
  const operators = ['operators'];
  return [
    { route: 'GET /healthz', method: 'GET', path: none('/healthz'), auth: 'none' },
    // admin (hub/routes/admin.ts)
    { route: 'POST /admin/v1/stores', method: 'POST', path: none('/admin/v1/stores'), auth: 'admin', writes: [...stores, 'org'], body: fc.record({ id: newStoreId, name: fc.constantFrom('Fuzz store', '测试店'), region: fc.option(fc.constantFrom('east', 'west', '__proto__'), { nil: undefined }), city: fc.option(fc.constantFrom('Shanghai', 'Atlantis'), { nil: undefined }), timeZone: fc.option(fc.constantFrom('Asia/Shanghai', 'Europe/Berlin', 'Mars/Olympus'), { nil: undefined }), ttlHours: fc.option(fc.constantFrom(1, 24, 0.5), { nil: undefined }) }).map(j) },
    { route: 'GET /admin/v1/stores', method: 'GET', path: none('/admin/v1/stores'), auth: 'admin' },
    { route: 'POST /admin/v1/stores/:id/codes', method: 'POST', path: p`/admin/v1/stores/${store}/codes`, auth: 'admin', writes: stores, body: fc.record({ ttlHours: fc.option(fc.constantFrom(1, 2, 48), { nil: undefined }) }).map(j) },
    { route: 'POST /admin/v1/stores/:id/disable', method: 'POST', path: p`/admin/v1/stores/${store}/disable`, auth: 'admin', writes: stores },
    { route: 'POST /admin/v1/stores/:id/enable', method: 'POST', path: p`/admin/v1/stores/${store}/enable`, auth: 'admin', writes: stores },
    { route: 'POST /admin/v1/stores/:id/seed', method: 'POST', path: p`/admin/v1/stores/${store}/seed`, auth: 'admin', writes: stores, body: fc.record({ count: fc.integer({ min: 1, max: 3 }), first: fc.option(fc.constantFrom(500, 600), { nil: undefined }) }).map(j) },
    { route: 'GET /admin/v1/stores/:id/bundle', method: 'GET', path: p`/admin/v1/stores/${store}/bundle`, auth: 'admin' },
    { route: 'POST /admin/v1/stores/:id/bundle', method: 'POST', path: p`/admin/v1/stores/${store}/bundle`, auth: 'admin' },
    { route: 'POST /admin/v1/stores/:id/move', method: 'POST', path: p`/admin/v1/stores/${store}/move`, auth: 'admin', writes: [...stores, 'org'], body: fc.record({ city: fc.option(fc.constantFrom('Shanghai', 'Atlantis', '__proto__', 'a:b'), { nil: undefined }), region: fc.option(fc.constantFrom('East', 'constructor', ''), { nil: undefined }) }).map(j) },
    // the org tree (hub/org/org-routes.ts)
    { route: 'GET /admin/v1/org', method: 'GET', path: none('/admin/v1/org'), auth: 'admin' },
    { route: 'POST /admin/v1/org/cities', method: 'POST', path: none('/admin/v1/org/cities'), auth: 'admin', writes: ['org'], body: fc.record({ name: fc.constantFrom('Shanghai', 'Suzhou', '__proto__', 'toString', 'x:y', '城'), region: fc.constantFrom('East', 'West', 'prototype', '') }).map(j) },
    { route: 'GET /admin/v1/rules', method: 'GET', path: none('/admin/v1/rules'), auth: 'admin' },
    {
      route: 'PUT /admin/v1/rules',
      method: 'PUT',
      path: none('/admin/v1/rules'),
      auth: 'admin',
      writes: ['rules', 'storeDb'],
      body: fc.record({ version: fc.integer({ min: 1, max: 40 }), joinGift: fc.constantFrom(0, 200, 500), kind: fc.constantFrom('checkin', 'fz_kind') }).map(({ version, joinGift, kind }) =>
        j({ rules: { ...DEFAULT_RULES, version, joinGift, interactions: { ...DEFAULT_RULES.interactions, [kind]: { points: 5, once: 'per_day' } } } }),
      ),
    },
    { route: 'GET /admin/v1/rules/versions', method: 'GET', path: none('/admin/v1/rules/versions'), auth: 'admin' },
    { route: 'GET /admin/v1/templates', method: 'GET', path: none('/admin/v1/templates'), auth: 'admin' },
    { route: 'GET /admin/v1/templates/:id/versions', method: 'GET', path: p`/admin/v1/templates/${seg(fc.constantFrom('FT1', 'CASH20', 'NOPE', '__proto__', 'a b'))}/versions`, auth: 'admin' },
    { route: 'PUT /admin/v1/templates/:id', method: 'PUT', path: p`/admin/v1/templates/${seg(templateId)}`, auth: 'admin', writes: ['templates', 'storeDb'], body: templateId.chain(template) },
    {
      route: 'POST /admin/v1/coupons',
      method: 'POST',
      path: none('/admin/v1/coupons'),
      auth: 'admin',
      writes: ['storeDb'],
      body: fc.record({ memberId: fc.constantFrom(...fx.memberIds, 'NOPE0000'), templateId: fc.constantFrom('CASH20', 'PCT10', 'FT1', 'NOPE'), code: fc.option(fc.integer({ min: 1000, max: 1100 }).map((n) => `FZ-${n}`), { nil: undefined }), validDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }) }).map(j),
    },
    { route: 'GET /admin/v1/members', method: 'GET', path: query({ name: fc.constantFrom('Wang', 'li n', '王', ''), limit: fc.constantFrom('1', '20', '100', '0') }).map((q) => ({ text: `/admin/v1/members${q.text}`, decoded: q.decoded })), auth: 'admin' },
    { route: 'GET /admin/v1/members/:id', method: 'GET', path: p`/admin/v1/members/${member}`, auth: 'admin' },
    // personal data rights (hub/privacy/routes.ts); only the last fixture member is ever erased, so the others stay whole for the rest
    { route: 'GET /admin/v1/members/:id/export', method: 'GET', path: p`/admin/v1/members/${member}/export`, auth: 'admin' },
    { route: 'GET /admin/v1/members/:id/consent', method: 'GET', path: p`/admin/v1/members/${member}/consent`, auth: 'admin' },
    { route: 'POST /admin/v1/members/:id/consent', method: 'POST', path: p`/admin/v1/members/${member}/consent`, auth: 'admin', writes: ['storeDb'], body: fc.record({ channel: fc.constantFrom('sms', 'wechat', 'email', 'phone', 'fax'), granted: fc.boolean() }).map(j) },
    { route: 'POST /admin/v1/members/:id/erase', method: 'POST', path: p`/admin/v1/members/${seg(fc.constantFrom(fx.memberIds[fx.memberIds.length - 1]!, 'NOPE0000'))}/erase`, auth: 'admin', writes: ['storeDb', 'identity'], body: fc.record({ reason: fc.constantFrom('Asked in store on 2026-11-30', '') }).map(j) },
    { route: 'GET /admin/v1/fleet', method: 'GET', path: none('/admin/v1/fleet'), auth: 'admin' },
    { route: 'GET /admin/v1/points/daily', method: 'GET', path: query({ days: fc.constantFrom('1', '14', '90', '0', '-1', '1e9', '__proto__') }).map((q) => ({ text: `/admin/v1/points/daily${q.text}`, decoded: q.decoded })), auth: 'admin' },
    { route: 'GET /admin/v1/sales/daily', method: 'GET', path: query({ days: fc.constantFrom('1', '14', '366', '0', '-1', '1e9', '__proto__') }).map((q) => ({ text: `/admin/v1/sales/daily${q.text}`, decoded: q.decoded })), auth: 'admin' },
    { route: 'GET /admin/v1/members/stats', method: 'GET', path: query({ days: fc.constantFrom('1', '__proto__') }).map((q) => ({ text: `/admin/v1/members/stats${q.text}`, decoded: q.decoded })), auth: 'admin' },
    { route: 'GET /admin/v1/incidents', method: 'GET', path: query({ status: fc.constantFrom('open', 'resolved', 'withdrawn'), store: fc.constantFrom(fx.storeId, 'NOPE'), kind: fc.constantFrom('double_redemption', 'clock_skew') }).map((q) => ({ text: `/admin/v1/incidents${q.text}`, decoded: q.decoded })), auth: 'admin' },
    // One-ID (hub/routes/identity.ts)
    { route: 'POST /admin/v1/imports', method: 'POST', path: none('/admin/v1/imports'), auth: 'admin', writes: identity, body: fc.record({ source: fc.constantFrom('crm', 'ecom', 'zz'), path: fc.constantFrom('/nonexistent/members.csv', '/tmp', '/etc/hostname') }).map(j) },
    { route: 'GET /admin/v1/imports', method: 'GET', path: none('/admin/v1/imports'), auth: 'admin' },
    { route: 'GET /admin/v1/imports/:id', method: 'GET', path: p`/admin/v1/imports/${seg(fc.constantFrom('imp-1', '1'))}`, auth: 'admin' },
    { route: 'GET /admin/v1/imports/:id/rejects', method: 'GET', path: fc.tuple(seg(fc.constantFrom('imp-1', '1')), query({ from: fc.constantFrom('0', '10', '-1'), limit: fc.constantFrom('1', '50', '100000') })).map(([id, q]) => ({ text: `/admin/v1/imports/${id.text}/rejects${q.text}`, decoded: `${id.decoded}\u0000${q.decoded}` })), auth: 'admin' },
    { route: 'GET /admin/v1/identity/metrics', method: 'GET', path: none('/admin/v1/identity/metrics'), auth: 'admin' },
    { route: 'POST /admin/v1/identity/records', method: 'POST', path: none('/admin/v1/identity/records'), auth: 'admin', writes: identity, body: sourceRecord },
    { route: 'GET /admin/v1/identity/records/:id', method: 'GET', path: p`/admin/v1/identity/records/${seg(recordId)}`, auth: 'admin' },
    { route: 'GET /admin/v1/identity/members/:id', method: 'GET', path: p`/admin/v1/identity/members/${member}`, auth: 'admin' },
    { route: 'POST /admin/v1/identity/members/:id/split', method: 'POST', path: p`/admin/v1/identity/members/${member}/split`, auth: 'admin', writes: identity, body: fc.record({ records: fc.array(recordId, { minLength: 1, maxLength: 3 }) }).map(j) },
    { route: 'GET /admin/v1/identity/quarantine', method: 'GET', path: none('/admin/v1/identity/quarantine'), auth: 'admin' },
    { route: 'POST /admin/v1/identity/quarantine', method: 'POST', path: none('/admin/v1/identity/quarantine'), auth: 'admin', writes: identity, body: fc.record({ key: fc.constantFrom('phone:+8613700000001', 'card:FZCARD1') }).map(j) },
    { route: 'DELETE /admin/v1/identity/quarantine/:key', method: 'DELETE', path: p`/admin/v1/identity/quarantine/${seg(fc.constantFrom('phone:+8613700000001', 'card:FZCARD1'))}`, auth: 'admin', writes: identity },
    { route: 'GET /admin/v1/identity/suggestions', method: 'GET', path: query({ limit: fc.constantFrom('1', '10', '1000') }).map((q) => ({ text: `/admin/v1/identity/suggestions${q.text}`, decoded: q.decoded })), auth: 'admin' },
    { route: 'POST /admin/v1/identity/suggestions/:answer', method: 'POST', path: p`/admin/v1/identity/suggestions/${seg(fc.constantFrom('accept', 'reject'))}`, auth: 'admin', writes: identity, body: fc.record({ a: fc.constantFrom(...fx.memberIds), b: fc.constantFrom(...fx.memberIds) }).map(j) },
    // operators, roles, the audit log (hub/operators/admin-routes.ts) and the console's login (console-api.ts)
    { route: 'GET /admin/v1/operators', method: 'GET', path: none('/admin/v1/operators'), auth: 'admin' },
    { route: 'POST /admin/v1/operators', method: 'POST', path: none('/admin/v1/operators'), auth: 'admin', writes: operators, body: fc.record({ name: fc.constantFrom('fz-op1', 'fz-op2', 'Admin', '__proto__'), role: fc.constantFrom('analyst', 'marketer', 'overlord', 'constructor'), scope: fc.option(fc.constantFrom('store:S001', 'region:east'), { nil: undefined }) }).map(j) },
    ...(['disable', 'enable', 'reset'] as const).map((action): RouteSpec => ({ route: `POST /admin/v1/operators/:name/${action}`, method: 'POST', path: seg(fc.constantFrom('fz-op1', 'nobody', '__proto__', 'Admin')).map((n) => ({ text: `/admin/v1/operators/${n.text}/${action}`, decoded: n.decoded })), auth: 'admin', writes: operators })),
    { route: 'GET /admin/v1/roles', method: 'GET', path: none('/admin/v1/roles'), auth: 'admin' },
    { route: 'GET /admin/v1/audit', method: 'GET', path: query({ limit: fc.constantFrom('1', '10', '1000'), before: fc.constantFrom('audit:01M8MMQS8HJHR04DAQAF58NE8N', 'audit:') }).map((q) => ({ text: `/admin/v1/audit${q.text}`, decoded: q.decoded })), auth: 'admin' },
    // A refused login writes by design (the count towards the lock, the audit log): no probe here.
    { route: 'POST /console/api/session', method: 'POST', path: none('/console/api/session'), auth: 'none', body: fc.record({ name: fc.constantFrom('admin', 'fz-op1', 'nobody', '__proto__'), password: fc.constantFrom('wrong password', 'x', '') }).map(j) },
    { route: 'GET /console/api/session', method: 'GET', path: none('/console/api/session'), auth: 'none' },
    // store API (hub/routes/store-api.ts)
    { route: 'POST /v1/enroll', method: 'POST', path: none('/v1/enroll'), auth: 'none', writes: stores, body: fc.record({ code: fc.constantFrom('AAAA-BBBB-CCCC-DDDD', 'K7QM-3D9X-ABCD-EFGH'), nodeId: fc.stringMatching(/^[A-Za-z0-9_-]{16,24}$/) }).map(j) },
    { route: 'GET /v1/bundle', method: 'GET', path: none('/v1/bundle'), auth: 'store' },
    { route: 'POST /v1/lookup', method: 'POST', path: none('/v1/lookup'), auth: 'store', writes: ['storeDb'], body: identify },
    // the replication gateway (hub/gateway.ts)
    { route: 'GET /couch/', method: 'GET', path: none('/couch/'), auth: 'store' },
    { route: 'GET /couch/:db/', method: 'GET', path: p`/couch/${seg(fc.constantFrom(db, 'store-s002', '_users', '_all_dbs'))}/`, auth: 'store', writes: ['storeDb'] },
    {
      route: 'GET /couch/:db/_changes',
      method: 'GET',
      path: couch(query({ since: fc.constantFrom('0', 'now', '5'), limit: fc.constantFrom('1', '10'), feed: fc.constantFrom('normal', 'longpoll'), timeout: fc.constantFrom('50'), style: fc.constantFrom('all_docs'), filter: fc.constantFrom('_selector', '_view'), include_docs: fc.constantFrom('true') }).map((q) => ({ text: `_changes${q.text.includes('feed=longpoll') && !q.text.includes('timeout=50') ? `${q.text}&timeout=50` : q.text}`, decoded: q.decoded }))),
      auth: 'store',
      writes: ['storeDb'],
    },
    { route: 'POST /couch/:db/_revs_diff', method: 'POST', path: couch(none('_revs_diff')), auth: 'store', writes: ['storeDb'], readOnly: true, body: fc.constantFrom(`member:${fx.memberIds[0]}`, 'nope').map((id) => j({ [id]: ['1-abc', '2-def'] })) },
    { route: 'POST /couch/:db/_bulk_get', method: 'POST', path: couch(none('_bulk_get')), auth: 'store', writes: ['storeDb'], readOnly: true, body: fc.constantFrom(`member:${fx.memberIds[0]}`, 'rules:loyalty', 'nope').map((id) => j({ docs: [{ id }] })) },
    { route: 'POST /couch/:db/_ensure_full_commit', method: 'POST', path: couch(none('_ensure_full_commit')), auth: 'store', writes: ['storeDb'], readOnly: true, body: fc.constant(j({})) },
    { route: 'GET /couch/:db/_all_docs', method: 'GET', path: couch(query({ limit: fc.constantFrom('1', '5'), include_docs: fc.constantFrom('true'), startkey: fc.constantFrom('"member:"', '"_design/"') }).map((q) => ({ text: `_all_docs${q.text}`, decoded: q.decoded }))), auth: 'store', writes: ['storeDb'] },
    { route: 'GET /couch/:db/_local/:id', method: 'GET', path: couch(p`_local/${seg(fc.constantFrom('fz-checkpoint', 'x'))}`), auth: 'store' },
    { route: 'PUT /couch/:db/_local/:id', method: 'PUT', path: couch(p`_local/${seg(fc.constantFrom('fz-checkpoint'))}`), auth: 'store', body: fc.record({ _id: fc.constant('_local/fz-checkpoint'), last_seq: fc.constantFrom('1', '2') }).map(j) },
    { route: 'POST /couch/:db/_bulk_docs', method: 'POST', path: couch(none('_bulk_docs')), auth: 'store', writes: ['storeDb'], body: storeDocs(fx) },
    { route: 'GET /couch/:db/:docid', method: 'GET', path: couch(docId), auth: 'store', writes: ['storeDb'] },
    { route: 'PUT /couch/:db/:docid', method: 'PUT', path: couch(docId), auth: 'store', writes: ['storeDb'], body: fc.constant(j({ type: 'heartbeat', storeId: fx.storeId })) },
  ];
}

/** One request of any of the routes, each route as likely as the others. */
export const anyRequest = (specs: RouteSpec[]): fc.Arbitrary<FuzzRequest> => fc.oneof(...specs.map(requests));

// ---------------------------------------------------------------------------------------------
// Targets: the running services, and reads of what requests could write.

/** A read of something requests could change; `changed` may forgive changes not caused by the request. */
export interface Probe {
  read(): Promise<unknown>;
  changed?(before: unknown, after: unknown): boolean;
}

export interface FuzzTarget {
  url: string;
  /** The Authorization header of a good request, by the kind of credentials a route wants; `operator`: the session cookie. */
  credentials: Record<Exclude<Auth, 'none' | 'operator'>, string> & { operator?: string };
  /** The processes the requests reach: none may exit. */
  processes: ServiceProcess[];
  probes: Record<string, Probe>;
  /** Requests between two /healthz checks (whether the processes are alive is checked after every one). */
  healthEvery: number;
  /**
   * Waits for work an accepted request started in the background (an import) to end, so that it
   * is not taken for a write of the requests after it.
   */
  settle?: (req: FuzzRequest, res: Answer) => Promise<void>;
}

const snapshotJson = (x: unknown) => JSON.stringify(x) ?? 'undefined';

/** Reads twice a few ms apart until a read repeats: what a 2xx started may still be landing. */
async function settled(probe: Probe, pauseMs: number): Promise<unknown> {
  let last = await probe.read();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, pauseMs));
    const next = await probe.read();
    if (snapshotJson(next) === snapshotJson(last)) return next;
    last = next;
  }
  return last;
}

// ---------------------------------------------------------------------------------------------
// Invariants.

export interface Violation {
  /** What was broken: `5xx`, `no_answer`, `process_exited`, `healthz`, `error_shape`, `error_code`, `write_on_refusal`, `balance`, `echo`. */
  kind: string;
  route: string;
  status: number;
  code?: string;
  detail: string;
  request: FuzzRequest;
  /** The request's place in the run: with the seed, replays it. */
  index: number;
}

export interface Answer {
  status: number;
  text: string;
  json?: unknown;
  /** The answer's content type. */
  type?: string;
}

const ECHO_CHUNK = 100;
/**
 * The message repeats input when it holds one of the input's aligned 100-character chunks: any
 * run of 200 characters of the input holds one, so this catches every echo of about 200 or more.
 */
function echoed(message: string, inputs: readonly string[]): number {
  if (message.length <= 200) return 0;
  let longest = 0;
  for (const s of inputs) {
    if (s.length < 2 * ECHO_CHUNK) continue;
    for (let i = 0; i + ECHO_CHUNK <= s.length; i += ECHO_CHUNK) if (message.includes(s.slice(i, i + ECHO_CHUNK))) longest = Math.max(longest, s.length);
  }
  return longest;
}

/** Keys whose values are points or money: always finite integers. */
const INTEGER_KEYS = new Set(['balance', 'total', 'discount', 'payable', 'pointsEarned', 'pointsRedeemed', 'pointsClawedBack', 'pointsReturned', 'delta']);
function badNumbers(v: unknown, path: string, out: string[], depth = 0): void {
  if (depth > 50 || out.length > 3 || v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    const here = `${path}.${k}`;
    // An incident keeps the document a store sent and the hub refused or quarantined, as sent:
    // evidence, not a figure of the product's (the 20,000-request hub bench read its junk delta).
    if (k === 'doc' && path.endsWith('.details')) continue;
    if (INTEGER_KEYS.has(k) && !(typeof x === 'number' && Number.isSafeInteger(x)) && !(typeof x === 'object' && x !== null)) out.push(`${here} = ${JSON.stringify(x)}`);
    else badNumbers(x, here, out, depth + 1);
  }
}

/** The invariants one answer must keep, whatever was asked. */
export function checkAnswer(req: FuzzRequest, res: Answer): Omit<Violation, 'index' | 'request' | 'route'>[] {
  const out: Omit<Violation, 'index' | 'request' | 'route'>[] = [];
  const code = errorCode(res.json);
  const v = (kind: string, detail: string) => out.push({ kind, status: res.status, ...(code ? { code } : {}), detail });
  if (res.status >= 500) v('5xx', `answered ${res.status}: ${res.text.replace(/\s+/g, ' ').slice(0, 300)}`);
  const underCouch = req.path.startsWith('/couch');
  if (res.type?.startsWith('text/html')) {
    // A console page: errors are pages, not JSON. What it must never do is show text from outside
    // as markup: no MARKUP_PROBES payload, sent now or stored by an earlier request, appears unescaped.
    const injected = /<(script|img|svg)\b[^>]*fz-xss/i.exec(res.text);
    if (injected) v('markup', `the page holds input as markup: ${res.text.slice(Math.max(0, injected.index - 60), injected.index + 80)}`);
    return out;
  }
  if (res.status >= 400 && req.method !== 'HEAD') {
    const body = res.json as { error?: unknown; reason?: unknown } | undefined;
    // Under /couch the gateway answers as CouchDB does, {error: "<string>", reason: "<string>"}
    // (what PouchDB's replicator expects); it is being moved to that shape from ours (issue 10,
    // finding 3), so either shape is accepted there for now.
    const couchShape = underCouch && typeof body?.error === 'string' && typeof body?.reason === 'string';
    const e = body?.error as { code?: unknown; message?: unknown } | undefined;
    if (!couchShape) {
      if (!e || typeof e !== 'object' || typeof e.code !== 'string' || typeof e.message !== 'string') v('error_shape', `not {error: {code, message}}: ${res.text.replace(/\s+/g, ' ').slice(0, 200)}`);
      else if (!Object.hasOwn(ERRORS, e.code)) v('error_code', `code ${JSON.stringify(e.code)} is not in shared/errors.ts`);
      else if (ERRORS[e.code as keyof typeof ERRORS] !== res.status) v('error_code', `${e.code} is ${ERRORS[e.code as keyof typeof ERRORS]} in shared/errors.ts, answered ${res.status}`);
    }
    const message = couchShape ? String(body!.reason) : typeof e?.message === 'string' ? e.message : '';
    const n = echoed(message, req.echoes);
    if (n) v('echo', `the message (${message.length} chars) repeats a ${n}-char input: ${message.slice(0, 120)}…`);
  }
  if (res.json !== undefined && res.status < 300) {
    const bad: string[] = [];
    badNumbers(res.json, '', bad);
    if (bad.length) v('balance', `not a finite integer: ${bad.join('; ')}`);
  }
  return out;
}

const errorCode = (json: unknown): string | undefined => {
  const e = (json as { error?: unknown } | undefined)?.error;
  if (typeof e === 'string') return e;
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
};

// ---------------------------------------------------------------------------------------------
// The run.

export interface FuzzReport {
  seed: number;
  requests: number;
  seconds: number;
  /** route → status → count */
  byRoute: Map<string, Map<number, number>>;
  /** status and error code → count */
  byCode: Map<string, number>;
  violations: Violation[];
}

function authHeader(target: FuzzTarget, req: FuzzRequest): string | undefined {
  if (req.auth === 'none' || req.auth === 'operator') return req.authVariant === 'good' ? undefined : 'Bearer nonsense';
  const good = target.credentials[req.auth];
  switch (req.authVariant) {
    case 'good':
      return good;
    case 'none':
      return undefined;
    case 'lowercase-scheme':
      return good.replace(/^(\w+)/, (s) => s.toLowerCase());
    case 'wrong-secret':
      return good.startsWith('Basic ') ? `Basic ${Buffer.from(`${Buffer.from(good.slice(6), 'base64').toString().split(':')[0]}:wrong`).toString('base64')}` : 'Bearer mht_wrong';
    case 'other-scheme':
      return good.startsWith('Basic ') ? `Bearer ${good.slice(6)}` : `Basic ${Buffer.from(`x:${good.slice(7)}`).toString('base64')}`;
    case 'garbage':
      return 'Bearer \u00ff\u00fe';
  }
}

const CONTENT_TYPES: Record<ContentType, string | undefined> = { json: 'application/json', none: undefined, text: 'text/plain', 'json-charset': 'application/json; charset=utf-8', form: 'application/x-www-form-urlencoded', jsonx: 'application/jsonx' };
const CONTENT_TYPE_NAMES = Object.keys(CONTENT_TYPES) as ContentType[];

/** The console's session cookie of a request: the good one, none, or one the hub never issued. */
function sessionCookie(target: FuzzTarget, req: FuzzRequest): string | undefined {
  const good = target.credentials.operator;
  if (req.auth !== 'operator' || good === undefined) return undefined;
  if (req.authVariant === 'good') return good;
  if (req.authVariant === 'none') return undefined;
  return req.authVariant === 'wrong-secret' ? good.replace(/=.*/, `=${'A'.repeat(43)}`) : good.replace(/=.*/, '=\u00ff\u00fe');
}

/** Sends one request; a network failure or a timeout is an answer of status 0. */
export async function send(target: FuzzTarget, req: FuzzRequest, timeoutMs = 15_000): Promise<Answer> {
  const headers: Record<string, string> = {};
  const auth = authHeader(target, req);
  if (auth !== undefined) headers.authorization = auth;
  const ct = CONTENT_TYPES[req.contentType];
  if (ct && req.body !== undefined) headers['content-type'] = ct;
  const cookie = sessionCookie(target, req);
  if (cookie !== undefined) headers.cookie = cookie;
  try {
    // A console form answers with a redirect to the page that shows its outcome: that answer is the one judged.
    const res = await fetch(target.url + req.path, { method: req.method, headers, redirect: req.auth === 'operator' ? 'manual' : 'follow', ...(req.body !== undefined ? { body: req.body } : {}), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, type: res.headers.get('content-type') ?? undefined };
  } catch (err) {
    return { status: 0, text: String((err as Error)?.cause ?? err), json: undefined };
  }
}

/** A request as a client means it, for the harness's own checks. */
export function plainRequest(method: string, path: string, auth: Auth, body?: unknown): FuzzRequest {
  return { route: `${method} ${path}`, method, path, auth, authVariant: 'good', contentType: 'json', ...(body !== undefined ? { body: JSON.stringify(body) } : {}), echoes: [], writes: [], readOnly: false };
}

/**
 * Whether the probes see what an accepted request wrote: the check that a refusal wrote nothing
 * is only as good as they are. Returns the probes that changed within `ms`.
 */
export async function probesThatSee(target: FuzzTarget, write: FuzzRequest, ms = 3000): Promise<{ status: number; changed: string[] }> {
  const names = Object.keys(target.probes);
  const before = await Promise.all(names.map((n) => target.probes[n]!.read()));
  const res = await send(target, write);
  const changed = new Set<string>();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && changed.size < names.length) {
    const after = await Promise.all(names.map((n) => target.probes[n]!.read()));
    names.forEach((n, i) => {
      const probe = target.probes[n]!;
      if (probe.changed ? probe.changed(before[i], after[i]) : snapshotJson(before[i]) !== snapshotJson(after[i])) changed.add(n);
    });
    await new Promise((r) => setTimeout(r, 100));
  }
  return { status: res.status, changed: [...changed].sort() };
}

async function healthyWithin(target: FuzzTarget, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await send(target, plainRequest('GET', '/healthz', 'none'), 5000)).status === 200) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const alive = (p: ServiceProcess) => p.child.exitCode === null && p.child.signalCode === null;

/**
 * Runs `runs` requests drawn with `seed` against `target` one at a time, checking every answer.
 * Requests are drawn in chunks of 500 (seed, seed+1, …), so the same seed replays the same run.
 */
export async function runFuzz(target: FuzzTarget, arb: fc.Arbitrary<FuzzRequest>, opts: { seed: number; runs: number; onProgress?: (report: FuzzReport) => void }): Promise<FuzzReport> {
  const started = Date.now();
  const report: FuzzReport = { seed: opts.seed, requests: 0, seconds: 0, byRoute: new Map(), byCode: new Map(), violations: [] };
  const baseline = new Map<string, unknown>();
  const probeNames = Object.keys(target.probes);
  const read = async (names: readonly string[]) => {
    for (const name of names) if (!baseline.has(name)) baseline.set(name, await settled(target.probes[name]!, 25).catch(() => undefined));
  };
  const CHUNK = 500;
  let dead = false;
  const recent: FuzzRequest[] = [];
  for (let chunk = 0; report.requests < opts.runs && !dead; chunk++) {
    const batch = fc.sample(arb, { seed: opts.seed + chunk, numRuns: Math.min(CHUNK, opts.runs - report.requests) });
    for (const req of batch) {
      const index = report.requests++;
      recent.push(req);
      if (recent.length > target.healthEvery + 1) recent.shift();
      const watched = probeNames.filter((n) => req.writes.includes(n));
      await read(watched);
      const res = await send(target, req);
      const found: Omit<Violation, 'index' | 'request' | 'route'>[] = checkAnswer(req, res);
      if (res.status === 0) found.push({ kind: 'no_answer', status: 0, detail: res.text.slice(0, 200) });

      const refused = res.status >= 400 && res.status < 500;
      if (refused || req.readOnly) {
        for (const name of watched) {
          const before = baseline.get(name);
          const after = await target.probes[name]!.read().catch(() => undefined);
          baseline.set(name, after);
          if (before === undefined || after === undefined) continue;
          const probe = target.probes[name]!;
          const changed = probe.changed ? probe.changed(before, after) : snapshotJson(before) !== snapshotJson(after);
          if (changed) found.push({ kind: 'write_on_refusal', status: res.status, detail: `${name} changed: ${snapshotJson(before).slice(0, 150)} → ${snapshotJson(after).slice(0, 150)}` });
        }
      }
      // An accepted write may change anything, and may land a little later: read afresh next time.
      if (!refused && !req.readOnly) {
        await target.settle?.(req, res);
        baseline.clear();
      }
      if (!target.processes.every(alive)) dead = true;
      if (dead || res.status === 0 || res.status >= 500 || index % target.healthEvery === 0) {
        for (const p of target.processes) if (!alive(p)) found.push({ kind: 'process_exited', status: res.status, detail: `exit ${p.child.exitCode ?? p.child.signalCode}; last output: ${p.output().slice(-400)}` });
        const h = await send(target, { ...req, method: 'GET', path: '/healthz', auth: 'none', authVariant: 'good', contentType: 'none', body: undefined as never });
        if (h.status !== 200) {
          // The request that broke it may be one of the few before (health is not read after every one).
          const before = recent.map((r, i) => `#${index - recent.length + i} ${describeRequest(r).slice(0, 300)}`).join(' | ');
          found.push({ kind: 'healthz', status: h.status, detail: `/healthz answered ${h.status} after this request: ${h.text.slice(0, 200)}; the requests before: ${before}; the service's last output: ${target.processes.map((p) => p.output().slice(-600)).join(' | ')}` });
        }
        if (!target.processes.every(alive)) dead = true;
        // A service that recovers by itself (the hub restarts its database) is waited for, so
        // that one crash is reported once, not as a failure of every request after it.
        else if (h.status !== 200 && !(await healthyWithin(target, 60_000))) {
          found.push({ kind: 'healthz', status: h.status, detail: 'not healthy again within 60 s; the run stops here' });
          dead = true;
        }
      }

      const byStatus = report.byRoute.get(req.route) ?? new Map<number, number>();
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      report.byRoute.set(req.route, byStatus);
      const key = `${res.status} ${errorCode(res.json) ?? (res.status < 400 ? 'ok' : '-')}`;
      report.byCode.set(key, (report.byCode.get(key) ?? 0) + 1);
      for (const f of found) report.violations.push({ ...f, route: req.route, request: req, index });
      if (dead) break;
      if (index % 1000 === 999) opts.onProgress?.({ ...report, seconds: (Date.now() - started) / 1000 });
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

// ---------------------------------------------------------------------------------------------
// Reports.

/** Violations grouped by route, kind, status and code, each with its shortest request. */
export function violationGroups(report: FuzzReport): { key: string; count: number; example: Violation }[] {
  const groups = new Map<string, { key: string; count: number; example: Violation }>();
  const size = (v: Violation) => v.request.path.length + (v.request.body?.length ?? 0);
  for (const v of report.violations) {
    const key = `${v.route} → ${v.kind} (${v.status}${v.code ? ` ${v.code}` : ''})`;
    const g = groups.get(key);
    if (!g) groups.set(key, { key, count: 1, example: v });
    else {
      g.count++;
      if (size(v) < size(g.example)) g.example = v;
    }
  }
  return [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** One request as a line to read and replay. */
export function describeRequest(r: FuzzRequest): string {
  const parts = [`${r.method} ${clip(r.path, 200)}`];
  if (r.authVariant !== 'good') parts.push(`auth: ${r.authVariant}`);
  if (r.contentType !== 'json') parts.push(`content-type: ${r.contentType}`);
  if (r.body !== undefined) parts.push(`body: ${clip(JSON.stringify(r.body).slice(1, -1))}`);
  return parts.join('  ');
}

/** The violations as text: one group a paragraph, with the seed to replay the run. */
export function formatViolations(report: FuzzReport, envVar: string): string {
  const groups = violationGroups(report);
  if (!groups.length) return '';
  return [
    `${report.violations.length} invariant violations in ${report.requests} requests (replay: ${envVar}=${report.seed}):`,
    ...groups.map((g) => `- ${g.key} ×${g.count}: ${g.example.detail}\n    #${g.example.index} ${describeRequest(g.example.request)}`),
  ].join('\n');
}

/** The seed of a run: from the environment when given (to replay a failure), else fixed. */
export function seedFrom(envVar: string, fixed: number): number {
  const given = process.env[envVar];
  return given !== undefined && given !== '' ? Number(given) : fixed;
}

// ---------------------------------------------------------------------------------------------
// Set-ups shared by the tests and the bench.

export interface EdgeSetup {
  target: FuzzTarget;
  fixture: EdgeFixture;
  /** The store node's data dir (for its CLI). */
  storeDir: string;
  stop(): Promise<void>;
}

/**
 * A hub and an enrolled, serving store S001 with members, points, a coupon and a checkout. The
 * node replicates with the hub, so its database sequence shows on /healthz (pendingUp +
 * pushedSeq): a cheap, exact read of "did anything get written". Identify's rate limit is lifted
 * so that it is fuzzed, not just refused; the heartbeat is slowed so that it does not write
 * during a run.
 */
export async function setupEdge(): Promise<EdgeSetup> {
  const dirs: string[] = [];
  const hubDir = tempDir('memberedge-fuzz-hub-');
  dirs.push(hubDir);
  const hub = await startHub(hubDir, await freePort());
  let edge: ServiceProcess | undefined;
  try {
    const store = await enrollStore(hub, 'S001', { members: 10 });
    dirs.push(store.dir);
    edge = await startEdge(store.dir, ['--identify-rate', '10000000', '--identify-burst', '1000000', '--heartbeat-interval', '100000']);
    const pos = client(edge.url, store.token);
    const memberIds = [seedMemberId(0), seedMemberId(1)];
    const registered = await pos.post('/v1/members', { phone: '+86 137 0000 0009', name: 'Fuzz Member' });
    if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`);
    memberIds.push(registered.body.member.id);
    const bought = await pos.post('/v1/checkouts', { receiptNo: 'SETUP1', memberId: memberIds[0], lines: [{ sku: 'CUP-001', category: 'cups', qty: 2, unitPrice: 30_000 }] });
    if (bought.status !== 201) throw new Error(`checkout: ${JSON.stringify(bought.body)}`);
    const coupon = await adminClient(hub).post('/coupons', { memberId: memberIds[0], templateId: 'CASH20' });
    if (coupon.status !== 201) throw new Error(`coupon: ${JSON.stringify(coupon.body)}`);
    const couponCode = coupon.body.coupon.code as string;
    await eventually(async () => {
      const r = await pos.post(`/v1/coupons/${couponCode}/verify`, { memberId: memberIds[0], lines: [{ sku: 'X', qty: 1, unitPrice: 20_000 }] });
      return r.body?.valid === true ? true : undefined;
    }, 20_000, 'the hub coupon at the store');
    const health = async () => (await fetch(`${edge!.url}/healthz`, { signal: AbortSignal.timeout(15_000) })).json() as Promise<{ sync?: { state: string; pulledDocs: number; pendingUp: number; pendingDown: number; pushedSeq: number } }>;
    // Settled before the first probe: while the node still catches up, its state changes (and
    // writes a heartbeat) under the probes, and the seq probe could not tell a write from that.
    await eventually(async () => {
      const s = (await health()).sync;
      return s?.state === 'online' && s.pendingUp === 0 && s.pendingDown === 0 ? true : undefined;
    }, 30_000, 'the node online with nothing pending');
    const statement = (id: string) => pos.get(`/v1/members/${id}/points?limit=1000`).then((r) => ({ status: r.status, balance: r.body?.balance, entries: r.body?.ledger?.length, newest: JSON.stringify(r.body?.ledger?.[0] ?? null) }));
    type Seq = { seq: number; pulled: number; state: string };
    const target: FuzzTarget = {
      url: edge.url,
      credentials: { terminal: `Bearer ${store.token}`, admin: `Bearer ${store.token}`, store: `Bearer ${store.token}` },
      processes: [edge, hub],
      healthEvery: 1,
      probes: {
        seq: {
          // Read until two reads agree with nothing pending down: a document the hub sends (a
          // profile document after a receipt, decision 024) is in the database a moment before the
          // node counts it as pulled, and a read between the two took the hub's write for the node's.
          read: async () => {
            let last = '';
            for (let i = 0; ; i++) {
              const s = (await health()).sync!;
              const seen = { seq: s.pendingUp + s.pushedSeq, pulled: s.pulledDocs, state: s.state } satisfies Seq;
              if ((s.pendingDown === 0 && JSON.stringify(seen) === last) || i === 20) return seen;
              last = JSON.stringify(seen);
              await new Promise((r) => setTimeout(r, 50));
            }
          },
          // What the hub sends lands here too, unasked: the node counts it (pulledDocs), and what is
          // left is the node's own. The heartbeat a change of state writes is unasked as well.
          changed: (a, b) => (b as Seq).seq - (a as Seq).seq > (b as Seq).pulled - (a as Seq).pulled && (a as Seq).state === (b as Seq).state,
        },
        members: { read: () => Promise.all(memberIds.map(statement)) },
      },
    };
    const fixture: EdgeFixture = { memberIds, couponCode, checkoutId: 'S001:T1:SETUP1' };
    return {
      target,
      fixture,
      storeDir: store.dir,
      async stop() {
        await edge?.stop();
        await hub.stop();
        dirs.forEach(removeDir);
      },
    };
  } catch (err) {
    await edge?.stop();
    await hub.stop();
    dirs.forEach(removeDir);
    throw err;
  }
}

export interface HubSetup {
  target: FuzzTarget;
  fixture: HubFixture;
  hubDir: string;
  stop(): Promise<void>;
}

/**
 * A hub with two enrolled stores (no node serving, so nothing replicates during the run) and
 * S001's credentials from its node's hub.json for the gateway and the store API.
 */
export async function setupHub(): Promise<HubSetup> {
  const dirs: string[] = [];
  const hubDir = tempDir('memberedge-fuzz-hub-');
  dirs.push(hubDir);
  const hub: HubProcess = await startHub(hubDir, await freePort());
  try {
    const s1 = await enrollStore(hub, 'S001', { members: 10 });
    const s2 = await enrollStore(hub, 'S002', { members: 5, first: 100 });
    dirs.push(s1.dir, s2.dir);
    const creds = JSON.parse(readFileSync(join(s1.dir, 'hub.json'), 'utf8')) as { username: string; password: string; db: string };
    const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    // A probe that cannot read (the database restarting after a crash) throws: no comparison then.
    const get = async (path: string, auth: string) => {
      const res = await fetch(hub.url + path, { headers: { authorization: auth }, signal: AbortSignal.timeout(15_000) });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      return res.json() as Promise<any>;
    };
    const adminToken = readFileSync(join(hubDir, 'admin-token'), 'utf8').trim();
    const adminGet = (path: string) => get(`/admin/v1${path}`, `Bearer ${adminToken}`);
    const target: FuzzTarget = {
      url: hub.url,
      credentials: { admin: `Bearer ${adminToken}`, store: basic, terminal: basic },
      processes: [hub],
      healthEvery: 1,
      // An import runs after its 202: one the fuzzer started changed One-ID's figures during the
      // next, refused, request (the 10,000-request bench took it for a write by the refusal).
      // One-ID also resolves and stores a little after it answers: its figures are read until
      // they hold still for half a second. (Found by the 20,000-request bench: records moved
      // under a refused request after an import, then after a store's pushed registration.)
      async settle(req, res) {
        // Consent and erasure write into store databases too, which the ingest then reads (and
        // One-ID hears of the member); the console's One-ID forms are One-ID's routes.
        const pushed = req.route.includes(' /couch/') || /\/(consent|erase)$/.test(req.route);
        if (!/\/imports|\/identity\/|\/one-id\/|\/split$/.test(req.route) && !pushed) return;
        // What a store pushes is ingested after the answer, and a registration then reaches
        // One-ID: wait for the ingest to catch up with every store (the fleet view's lag). Every
        // store, not only S001: an erasure of S002's member writes into S002's database, whose
        // ingest then changed One-ID's records under the next, refused, request (full suite run).
        for (let i = 0; i < 100 && pushed; i++) {
          const rows = (await adminGet('/fleet')).stores as { storeId: string; lag?: { notIngested?: number } }[];
          if (rows.every((x) => x.lag?.notIngested === 0)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const id = (res.json as { import?: { id?: unknown } } | undefined)?.import?.id;
        for (let i = 0; i < 300 && req.route === 'POST /admin/v1/imports' && typeof id === 'string'; i++) {
          if ((await adminGet(`/imports/${encodeURIComponent(id)}`)).import?.state !== 'running') break;
          await new Promise((r) => setTimeout(r, 100));
        }
        let last = '';
        for (let still = 0, i = 0; still < 3 && i < 100; i++) {
          const now = JSON.stringify(await adminGet('/identity/metrics'));
          still = now === last ? still + 1 : 0;
          last = now;
          await new Promise((r) => setTimeout(r, 150));
        }
      },
      probes: {
        storeDb: { read: async () => (await get(`/couch/${creds.db}/`, basic)).update_seq },
        stores: { read: () => adminGet('/stores') },
        org: { read: () => adminGet('/org') },
        rules: { read: () => adminGet('/rules') },
        templates: { read: () => adminGet('/templates') },
        identity: { read: async () => [await adminGet('/identity/metrics'), await adminGet('/identity/quarantine')] },
        // Logins change lastLoginAt and lockedUntil by design; what the admin routes write is the rest.
        operators: { read: async () => (await adminGet('/operators')).operators.map(({ lastLoginAt, lockedUntil, ...o }: any) => o) },
      },
    };
    const fixture: HubFixture = { storeId: 'S001', storeDb: creds.db, otherStoreId: 'S002', memberIds: [seedMemberId(0), seedMemberId(1), seedMemberId(100)] };
    return {
      target,
      fixture,
      hubDir,
      async stop() {
        await hub.stop();
        dirs.forEach(removeDir);
      },
    };
  } catch (err) {
    await hub.stop();
    dirs.forEach(removeDir);
    throw err;
  }
}
