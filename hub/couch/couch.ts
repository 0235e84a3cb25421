import nano from 'nano';
import type { DocumentScope, ServerScope } from 'nano';
import { CENTRAL_DBS } from './databases.ts';
import { patient, type Patience } from './patient.ts';

export type Doc = { _id: string; _rev?: string; [k: string]: unknown };

/**
 * The hub's storage: CouchDB's HTTP API through nano, whether the server is Apache CouchDB (set
 * COUCH_URL) or the embedded pouchdb-server. Small helpers for what the hub does again and again.
 */
export class Couch {
  readonly server: ServerScope;
  /** The server's URL without credentials, and the Authorization header that carries them. */
  readonly baseUrl: string;
  readonly authHeader: string | undefined;

  /** With `patience`, requests that get no answer are sent again while the database restarts (patient.ts). */
  constructor(url: string, patience?: Patience) {
    this.server = patience ? patient(nano(url), patience) : nano(url);
    const u = new URL(url);
    this.authHeader = u.username ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
    u.username = '';
    u.password = '';
    this.baseUrl = u.toString().replace(/\/$/, '');
  }

  db(name: string): DocumentScope<Doc> {
    return this.server.use<Doc>(name);
  }

  /** Creates a database unless it exists. */
  async ensureDb(name: string): Promise<void> {
    try {
      await this.server.db.create(name);
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
    }
  }

  async ensureCentral(): Promise<void> {
    for (const name of CENTRAL_DBS) await this.ensureDb(name);
  }

  /**
   * Compacts a database and waits until it is done: only then are the bodies of old revisions
   * gone (an erasure must not leave the personal data in them, decision 014). pouchdb-server
   * answers when done; CouchDB at once, and says `compact_running` until it is.
   */
  async compact(name: string, timeoutMs = 120_000): Promise<void> {
    await this.server.db.compact(name);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const info = (await this.server.db.get(name)) as { compact_running?: boolean };
      if (!info.compact_running) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`compacting ${name} did not finish in ${timeoutMs} ms`);
  }

  async get<T extends Doc = Doc>(db: string, id: string): Promise<T | undefined> {
    try {
      return (await this.db(db).get(id)) as T;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * Reads, changes and writes one mutable document, again on a conflict. `change` returns the
   * new content, or undefined to leave the document as it is.
   */
  async update<T extends Doc>(db: string, id: string, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get<T>(db, id);
      const next = change(current);
      if (!next) return current;
      try {
        const res = await this.db(db).insert({ ...next, _id: id, ...(current?._rev ? { _rev: current._rev } : {}) });
        return { ...next, _id: id, _rev: res.rev };
      } catch (err) {
        if (statusOf(err) !== 409 || attempt > 20) throw err;
      }
    }
  }

  /**
   * Writes documents that must not be overwritten (facts). Returns, per document, whether it was
   * created or already there; anything else is an error.
   */
  async insertNew(db: string, docs: Doc[]): Promise<('created' | 'exists')[]> {
    if (docs.length === 0) return [];
    const results = await this.bulk(db, docs.map(({ _rev, ...d }) => d));
    return results.map((r, i) => {
      if (!r.error) return 'created';
      if (r.error === 'conflict') return 'exists';
      throw new Error(`storing ${docs[i]!._id} in ${db}: ${r.error} ${r.reason ?? ''}`);
    });
  }

  /**
   * Writes documents in one _bulk_docs and answers one row per document, in the documents' order.
   * Never read the server's rows by position: pouchdb-server answers in the order its check of
   * each document finished (pouchdb-bulkdocs-wrapper), so a conflict on one document came back in
   * another's place (CI: a coupon code taken into a second pool).
   */
  async bulk(db: string, docs: Doc[]): Promise<BulkRow[]> {
    if (docs.length === 0) return [];
    return rowsInOrder(docs, (await this.db(db).bulk({ docs })) as BulkRow[]);
  }

  async fetchDocs<T extends Doc = Doc>(db: string, ids: string[]): Promise<(T | undefined)[]> {
    if (ids.length === 0) return [];
    const res = await this.db(db).fetch({ keys: ids });
    return res.rows.map((r) => ('doc' in r && r.doc ? (r.doc as unknown as T) : undefined));
  }

  /** Documents in id order (within a range), a page at a time: for reading more than one answer holds. */
  async *pages<T extends Doc = Doc>(db: string, range: { startkey?: string; endkey?: string } = {}, pageSize = 1000): AsyncGenerator<T[]> {
    let after: string | undefined;
    for (;;) {
      const page = await this.db(db).list({ include_docs: true, limit: pageSize, ...range, ...(after === undefined ? {} : { startkey: after, skip: 1 }) });
      if (page.rows.length === 0) return;
      yield page.rows.flatMap((r) => (r.doc ? [r.doc as unknown as T] : []));
      if (page.rows.length < pageSize) return;
      after = page.rows[page.rows.length - 1]!.id;
    }
  }

  async range<T extends Doc = Doc>(db: string, range: { startkey: string; endkey: string }, limit = 10_000): Promise<T[]> {
    const res = await this.db(db).list({ ...range, include_docs: true, limit });
    return res.rows.flatMap((r) => (r.doc ? [r.doc as unknown as T] : []));
  }
}

/** One document's outcome in a _bulk_docs answer. */
export interface BulkRow {
  id: string;
  rev?: string;
  error?: string;
  reason?: string;
}

/** The answer's rows matched to the documents by id (the same id twice: its rows in the order given). */
export function rowsInOrder(docs: readonly Doc[], rows: readonly BulkRow[]): BulkRow[] {
  const byId = new Map<string, BulkRow[]>();
  for (const r of rows) {
    const same = byId.get(r.id);
    if (same) same.push(r);
    else byId.set(r.id, [r]);
  }
  return docs.map((d) => {
    const row = byId.get(d._id)?.shift();
    if (!row) throw new Error(`_bulk_docs answered nothing for ${d._id}`);
    return row;
  });
}

/** CouchDB sequences are numbers (pouchdb-server) or "<n>-<opaque>" strings (CouchDB 3): the n counts. */
export const seqNumber = (seq: unknown) => Number.parseInt(String(seq ?? 0), 10) || 0;

export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** The document without its revision bookkeeping, to be written elsewhere. */
export function stripRev(d: Doc): Doc {
  const { _rev, _revisions, _conflicts, ...rest } = d as Doc & { _revisions?: unknown; _conflicts?: unknown };
  return rest as Doc;
}

/** The document without CouchDB's bookkeeping, for comparing content. */
export function content(doc: Doc): string {
  const { _id, _rev, _revisions, _conflicts, ...rest } = doc as Doc & { _revisions?: unknown; _conflicts?: unknown };
  return stableJson(rest);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Writes into `db` the documents of `wanted` (read elsewhere, with their own revisions) whose
 * content differs from the copy there: how the hub keeps what every store reads (rules, templates,
 * the catalogue, the product master) in the stores' databases without rewriting what is current.
 */
export async function copyWhereChanged(couch: Couch, db: string, wanted: readonly Doc[]): Promise<void> {
  if (wanted.length === 0) return;
  const there = await couch.fetchDocs(db, wanted.map((d) => d._id));
  const changed = wanted.flatMap((d, i) => {
    const cur = there[i];
    if (cur && content(cur) === content(d)) return [];
    const { _rev, ...rest } = d;
    return [{ ...rest, ...(cur?._rev ? { _rev: cur._rev } : {}) }];
  });
  if (changed.length > 0) await couch.db(db).bulk({ docs: changed });
}
