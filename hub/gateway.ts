import { Hono, type Context } from 'hono';
import { AppError } from '../shared/errors.ts';
import type { Couch } from './couch/couch.ts';
import { claimedStoreId, type GatewayRefusals } from './gateway-refusals.ts';
import { requireStore, type StoreEnv } from './routes/store-auth.ts';
import type { StoreClocks } from './store-clocks.ts';
import type { StoreDoc, Stores } from './stores.ts';
import { safeText } from '../shared/safe-text.ts';
import { storeDocRefusal } from '../shared/store-facts.ts';
import { AllDocsBody, AllDocsQuery, BulkDocsBody, BulkGetBody, BulkGetQuery, ChangesQuery, checkedBody, checkedQuery, DocQuery, LocalDocBody, RevsDiffBody } from './gateway-requests.ts';

type GatewayEnv = StoreEnv;

export interface GatewayDeps {
  couch: Couch;
  stores: Stores;
  clocks: Pick<StoreClocks, 'note'>;
  hubId: string;
  onStoreWrite: (storeId: string) => void;
  /** Documents a store pushed and the gateway refused (the whole batch, to record what was sent). */
  onRefused: (storeId: string, refused: { id: string; reason: string }[], sent: unknown[]) => Promise<void>;
  /** Where the gateway keeps the last request it refused per store, for the fleet view. */
  refusals?: GatewayRefusals;
  log?: { error(msg: string, fields?: object): void };
}

/**
 * The replication gateway: `/couch/<db>/...` as CouchDB speaks it, for store nodes only. A store
 * authenticates with Basic <store id>:<secret>, reaches only its own database, and only the
 * endpoints replication uses. What it may write is checked document by document
 * (shared/store-facts.ts): its own facts under their ids, valid and adding up, registrations and
 * its heartbeat; the hub's documents (rules, templates, coupons) and anything malformed are
 * refused the way CouchDB's validate_doc_update refuses (`forbidden` per document), so a refused
 * document does not stop the rest of the batch, and each refusal is an incident. Whether a fact
 * is one the store could make (the order exists, the rules give those points) is the ingest
 * worker's to judge: it needs the hub's databases.
 *
 * Errors are CouchDB's `{error: "<code>", reason: "<message>"}`, not the API's `{error: {code,
 * message}}`: PouchDB's replicator takes `error` for the error's name and lower-cases it, and an
 * object there throws inside it and leaves replication dead.
 */
export function gatewayRoutes(deps: GatewayDeps) {
  const gw = new Hono<GatewayEnv>();

  gw.onError(async (err, c) => {
    if (!(err instanceof AppError)) {
      // Mostly the registry read of requireStore while the database is down: a 503, which
      // replication retries, like the proxied requests' own 'unavailable'.
      if (unreachable(err)) return couchError(c, 503, 'unavailable', 'the hub database is not reachable right now; replication will retry');
      deps.log?.error('unhandled error', { path: c.req.path, err: String((err as Error)?.stack ?? err) });
      return couchError(c, 500, 'internal', 'internal error; replication will retry');
    }
    if (err.status === 401 || err.status === 403) await noteRefusal(c, deps, err).catch(() => {});
    return couchError(c, err.status, err.code, err.message);
  });

  gw.use(requireStore(deps.stores, deps.clocks));

  // PouchDB asks the server root for a uuid to name its replication checkpoints.
  gw.get('/', (c) => c.json({ couchdb: 'Welcome', vendor: { name: 'memberedge hub' }, uuid: deps.hubId }));

  gw.all('/:db/*', async (c) => {
    const store = c.get('store');
    const db = c.req.param('db');
    if (db !== store.db) throw new AppError('forbidden', `store ${store.id} may only replicate its own database ${store.db}`);
    const rest = c.req.path.slice(c.req.path.indexOf(`/${db}`) + db.length + 1).replace(/^\//, '');
    const method = c.req.method;
    const url = new URL(c.req.url);

    // Every query and body is checked before the database sees it (gateway-requests.ts), and bodies
    // are passed on as they were parsed, never as the text that came.
    if (rest === '' && (method === 'GET' || method === 'HEAD')) return proxy(c, deps.couch, `/${db}/`);
    if (rest === '_changes' && (method === 'GET' || method === 'POST')) {
      // Filtered changes are how pouchdb-server is crashed (and slow on CouchDB): never passed on.
      // PouchDB posts _changes only to filter them.
      if (method === 'POST' || url.searchParams.has('filter') || url.searchParams.has('selector')) throw new AppError('forbidden', 'filtered _changes is not available through the gateway');
      checkedQuery(url, ChangesQuery);
      return proxy(c, deps.couch, `/${db}/_changes`);
    }
    if (rest === '_revs_diff' && method === 'POST') return proxy(c, deps.couch, `/${db}/_revs_diff`, JSON.stringify(await checkedBody(c.req, RevsDiffBody)));
    if (rest === '_bulk_get' && method === 'POST') {
      checkedQuery(url, BulkGetQuery);
      const body = await checkedBody(c.req, BulkGetBody);
      // pouchdb-server never answers a _bulk_get of nothing.
      if (body.docs.length === 0) return c.json({ results: [] });
      return proxy(c, deps.couch, `/${db}/_bulk_get`, JSON.stringify(body));
    }
    if (rest === '_ensure_full_commit' && method === 'POST') return proxy(c, deps.couch, `/${db}/_ensure_full_commit`, '{}');
    if (rest === '_all_docs' && method === 'GET') {
      checkedQuery(url, AllDocsQuery);
      return proxy(c, deps.couch, `/${db}/_all_docs`);
    }
    if (rest === '_all_docs' && method === 'POST') {
      checkedQuery(url, AllDocsQuery);
      return proxy(c, deps.couch, `/${db}/_all_docs`, JSON.stringify(await checkedBody(c.req, AllDocsBody)));
    }
    // An id pouchdb-server cannot decode (`%ZZ`, a lone surrogate) got its HTML error page.
    if (!decodes(rest)) throw new AppError('bad_request', 'the path is not valid percent-encoded UTF-8');
    if (rest.startsWith('_local/') && rest.length <= 300 && !rest.slice(7).includes('/') && (method === 'GET' || method === 'PUT')) {
      checkedQuery(url, DocQuery);
      return proxy(c, deps.couch, `/${db}/${rest}`, method === 'PUT' ? JSON.stringify(await checkedBody(c.req, LocalDocBody)) : undefined);
    }
    if (rest === '_bulk_docs' && method === 'POST') return bulkDocs(c, deps, store);
    if (!rest.startsWith('_') && !rest.includes('/') && rest.length <= 300 && method === 'GET') {
      checkedQuery(url, DocQuery);
      return proxy(c, deps.couch, `/${db}/${rest}`);
    }
    throw new AppError('forbidden', `${method} /${db}/${rest.slice(0, 64)} is not a replication endpoint`);
  });

  gw.all('*', () => {
    throw new AppError('forbidden', 'only a store database can be reached through the gateway');
  });
  return gw;
}

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

function couchError(c: Context<GatewayEnv>, status: number, code: string, reason: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 401) headers['www-authenticate'] = 'Basic realm="memberedge"';
  return new Response(JSON.stringify({ error: code, reason }), { status, headers });
}

function unreachable(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown; cause?: { code?: unknown } };
  const code = String(e?.code ?? e?.cause?.code ?? '');
  // nano words a failed connection as a plain Error with this message and no status.
  return e?.statusCode === undefined && (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|UND_ERR)/.test(code) || /error happened in your connection/.test(String((err as Error)?.message)));
}

/** Remembers a refusal of a registered store's request for the fleet view; made-up ids are not kept. */
async function noteRefusal(c: Context<GatewayEnv>, deps: { stores: Stores; refusals?: GatewayRefusals }, err: AppError): Promise<void> {
  if (!deps.refusals) return;
  const authenticated = c.get('store') as StoreDoc | undefined;
  const store = authenticated ?? (await lookUp(deps.stores, claimedStoreId(c.req.header('authorization'))));
  if (!store) return;
  const reason = err.status === 401 ? (store.disabled ? 'the store is disabled' : 'wrong store credentials') : err.message;
  deps.refusals.note(store.id, { at: new Date().toISOString(), status: err.status, code: err.code, reason });
}

async function lookUp(stores: Stores, id: string | undefined): Promise<StoreDoc | undefined> {
  return id ? stores.get(id).catch(() => undefined) : undefined;
}

async function bulkDocs(c: Context<GatewayEnv>, deps: GatewayDeps, store: StoreDoc) {
  const body = await checkedBody(c.req, BulkDocsBody);
  const allowed: unknown[] = [];
  const refused: { id: string; error: 'forbidden'; reason: string }[] = [];
  for (const doc of body.docs as unknown[]) {
    const why = storeDocRefusal(doc, store.id);
    if (why) refused.push({ id: idOf(doc), error: 'forbidden', reason: why });
    else allowed.push(doc);
  }
  if (refused.length > 0) await deps.onRefused(store.id, refused, body.docs as unknown[]);
  let results: unknown[] = [];
  if (allowed.length > 0) {
    const res = await upstream(deps.couch, 'POST', `/${store.db}/_bulk_docs`, '', JSON.stringify({ ...body, docs: allowed }));
    if (!res.ok) return new Response(res.body, { status: res.status, headers: { 'content-type': 'application/json' } });
    results = (await res.json()) as unknown[];
    deps.onStoreWrite(store.id);
  }
  return c.json([...results, ...refused], 201);
}

/** A document's id for a refusal, whatever was sent. */
const idOf = (doc: unknown) => safeText((doc as { _id?: unknown } | null)?._id ?? '');

async function proxy(c: Context<GatewayEnv>, couch: Couch, path: string, body?: string): Promise<Response> {
  const signal = c.req.raw.signal;
  const res = await upstream(couch, c.req.method, path, new URL(c.req.url).search, body, signal);
  const headers = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/json' });
  return new Response(c.req.method === 'HEAD' || !res.body ? null : endsQuietlyWhenClientLeaves(res.body, signal), { status: res.status, headers });
}

/*
 * A store node that stops (or restarts, or loses its link) leaves in the middle of a live
 * _changes answer; the upstream body then fails with the client's abort, which the HTTP server
 * printed as a bare "Error: aborted" once per open replication. Nobody is left to answer: the
 * body just ends. A failure while the client is still there (the database went away) still
 * fails the response, so the node sees a broken answer and retries.
 */
function endsQuietlyWhenClientLeaves(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        if (signal.aborted) controller.close();
        else controller.error(err);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

async function upstream(couch: Couch, method: string, path: string, search: string, body?: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (couch.authHeader) headers.authorization = couch.authHeader;
  try {
    return await fetch(`${couch.baseUrl}${path}${search}`, { method, headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new AppError('unavailable', 'the hub database is not reachable right now; replication will retry');
  }
}
