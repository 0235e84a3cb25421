import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MemberIndex } from '../../shared/member-index.ts';
import type { StoreDb } from '../store-db.ts';
import { basicAuth, type HubLinkConfig } from './hub-link.ts';

const PAGE = 2000;
const BATCH = 5000;

type Docs = Record<string, unknown>[];

/**
 * The first pull of a store's replica, as a copy: documents are written locally with the hub's
 * revisions (`new_edits: false`) and folded into a new index on the way; replication from the
 * returned sequence then brings whatever changed meanwhile. Replication's changes / revs_diff /
 * bulk_get round trips cost minutes for a replica of 100,000 members. Running it again rewrites
 * the same revisions: harmless.
 *
 * From the hub's replica bundle when it has one (a gzipped NDJSON file, seconds), else by paging
 * the store's database with `_all_docs` (as fast as the hub's database can read).
 */
export async function copyReplica(db: StoreDb, link: HubLinkConfig, progress: (done: number, total: number) => void) {
  const index = new MemberIndex();
  const store = async (docs: Docs) => {
    await db.bulkDocs(docs as PouchDB.Core.PutDocument<Record<string, unknown>>[], { new_edits: false });
    for (const doc of docs) index.applyStored(doc);
  };
  const since = (await fromBundle(link, store, progress)) ?? (await fromAllDocs(link, store, progress));
  return { since, index };
}

const hubBase = (link: HubLinkConfig) => link.hubUrl.replace(/\/$/, '');

async function fromBundle(link: HubLinkConfig, store: (docs: Docs) => Promise<void>, progress: (done: number, total: number) => void) {
  const res = await fetch(`${hubBase(link)}/v1/bundle`, { headers: { authorization: basicAuth(link) } });
  if (res.status === 404 || !res.body) return undefined;
  if (!res.ok) throw new Error(`replica bundle: ${res.status} ${await res.text()}`);
  const lines = createInterface({ input: Readable.fromWeb(res.body as never).pipe(createGunzip()), crlfDelay: Infinity });
  let header: { format: number; seq: string | number; docs: number } | undefined;
  let batch: Docs = [];
  let done = 0;
  for await (const line of lines) {
    if (!line) continue;
    if (!header) {
      header = JSON.parse(line);
      if (header!.format !== 1) throw new Error(`replica bundle format ${header!.format} is newer than this node; update the node`);
      continue;
    }
    batch.push(JSON.parse(line));
    if (batch.length >= BATCH) {
      await store(batch);
      done += batch.length;
      batch = [];
      progress(done, header.docs);
    }
  }
  if (!header) throw new Error('replica bundle: empty');
  await store(batch);
  progress(done + batch.length, header.docs);
  return header.seq;
}

async function fromAllDocs(link: HubLinkConfig, store: (docs: Docs) => Promise<void>, progress: (done: number, total: number) => void) {
  const base = `${hubBase(link)}/couch/${link.db}`;
  const headers = { authorization: basicAuth(link), accept: 'application/json' };
  const get = async (url: string) => {
    const res = await fetch(url, { headers });
    if (!res.ok) throw new Error(`${url.replace(base, 'hub')}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const info = (await get(`${base}/`)) as { update_seq: string | number; doc_count: number };
  const page = (after?: string) => {
    const p = get(`${base}/_all_docs?include_docs=true&limit=${PAGE}${after === undefined ? '' : `&startkey=${encodeURIComponent(JSON.stringify(after))}&skip=1`}`) as Promise<{ rows: { id: string; doc?: Record<string, unknown> }[] }>;
    p.catch(() => {}); // awaited below; a failure while the last page is written must not go unobserved
    return p;
  };
  let done = 0;
  let next = page();
  for (;;) {
    const { rows } = await next;
    if (rows.length === 0) break;
    next = page(rows[rows.length - 1]!.id); // the next page comes while this one is written
    await store(rows.flatMap((r) => (r.doc && !r.id.startsWith('_design/') ? [r.doc] : [])));
    done += rows.length;
    progress(done, info.doc_count);
  }
  return info.update_seq;
}
