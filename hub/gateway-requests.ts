import { z } from 'zod';
import { readBody, type BodyLimits, type BodySource } from '../shared/json-body.ts';
import { parseQuery, queryInt } from '../shared/query.ts';

/*
 * What the gateway passes on to the database, checked first: the query parameters and bodies
 * PouchDB's replication sends, and nothing else. pouchdb-server dies on a `_revs_diff` whose
 * revisions are not an array, hangs on a `since` with a newline or a `_bulk_get` of no documents,
 * and a body nested ten thousand deep makes its JSON.stringify (and ours) throw. Each check is a
 * 400 the store's replicator reports, never a request the database sees.
 */

/**
 * A store pushes batches of 500 small documents: 16 MiB is a wide margin. Documents nest a few
 * levels (an order's lines, a revision history); a body a few more.
 */
const GATEWAY_BODY_LIMITS: BodyLimits = { maxBytes: 16 * 1024 * 1024, maxDepth: 16 };

const bool = z.enum(['true', 'false']);
/** CouchDB 3 sequences are `<n>-<opaque base64url>`, pouchdb-server's plain numbers; `now` is allowed. */
const Seq = z.string().regex(/^(now|\d{1,15}(-[A-Za-z0-9_=-]{1,1000})?)$/, 'a sequence');
const JsonKey = z.string().max(1000);
const Rev = z.string().regex(/^\d{1,10}-[0-9a-f]{1,64}$/, 'a revision');
const DocId = z.string().min(1).max(300);

export const ChangesQuery = z.strictObject({
  since: Seq.optional(),
  limit: queryInt(0, 10_000).optional(),
  feed: z.enum(['normal', 'longpoll']).optional(),
  timeout: queryInt(0, 60_000).optional(),
  heartbeat: queryInt(0, 60_000).optional(),
  style: z.enum(['all_docs', 'main_only']).optional(),
  include_docs: bool.optional(),
  conflicts: bool.optional(),
  descending: bool.optional(),
  seq_interval: queryInt(0, 10_000).optional(),
  update_seq: bool.optional(),
});

export const AllDocsQuery = z.strictObject({
  include_docs: bool.optional(),
  conflicts: bool.optional(),
  update_seq: bool.optional(),
  descending: bool.optional(),
  inclusive_end: bool.optional(),
  key: JsonKey.optional(),
  startkey: JsonKey.optional(),
  endkey: JsonKey.optional(),
  limit: queryInt(0, 10_000).optional(),
  skip: queryInt(0, 10_000).optional(),
});
export const AllDocsBody = z.strictObject({ keys: z.array(DocId).max(10_000) });

export const DocQuery = z.strictObject({
  rev: Rev.optional(),
  revs: bool.optional(),
  revs_info: bool.optional(),
  latest: bool.optional(),
  conflicts: bool.optional(),
  update_seq: bool.optional(),
  open_revs: z.union([z.literal('all'), z.string().max(20_000).regex(/^\[.*\]$/, 'a JSON array of revisions')]).optional(),
});

export const BulkGetQuery = z.strictObject({ revs: bool.optional(), latest: bool.optional(), attachments: bool.optional() });
export const BulkGetBody = z.strictObject({
  docs: z.array(z.object({ id: DocId, rev: Rev.optional(), atts_since: z.array(Rev).max(100).optional() })).max(10_000),
});

/** `{"<doc id>": ["<rev>", ...]}`: anything else crashed pouchdb-server (`req[id].slice`). */
export const RevsDiffBody = z.record(DocId, z.array(Rev).max(1000));

export const BulkDocsBody = z.strictObject({ docs: z.array(z.unknown()).max(10_000), new_edits: z.boolean().optional() });

/** A checkpoint document (`_local/<id>`), as PouchDB writes it. */
export const LocalDocBody = z.object({ _id: z.string().max(300).optional(), _rev: z.string().max(100).optional() }).passthrough();

/** The query of a request, checked; the gateway then passes on exactly these parameters. */
export function checkedQuery<S extends z.ZodType>(url: URL, schema: S): URLSearchParams {
  parseQuery(url.searchParams, schema);
  return url.searchParams;
}

/** A JSON body within the gateway's size and depth limits, checked against its schema. */
export const checkedBody = <S extends z.ZodType>(req: BodySource, schema: S): Promise<z.infer<S>> => readBody(req, schema, GATEWAY_BODY_LIMITS);
