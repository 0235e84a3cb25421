import { Hono, type Context } from 'hono';
import { AppError } from '../shared/errors.ts';
import type { Couch } from './couch/couch.ts';
import { requireStore, type StoreEnv } from './routes/store-auth.ts';
import type { StoreDoc, Stores } from './stores.ts';
import { storeDocRefusal } from '../shared/store-facts.ts';

type GatewayEnv = StoreEnv;

export interface GatewayDeps {
  couch: Couch;
  stores: Stores;
  hubId: string;
  onStoreWrite: (storeId: string) => void;
  /** Documents a store pushed and the gateway refused (the whole batch, to record what was sent). */
  onRefused: (storeId: string, refused: { id: string; reason: string }[], sent: unknown[]) => Promise<void>;
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
 */
export function gatewayRoutes(deps: GatewayDeps) {
  const gw = new Hono<GatewayEnv>();

  gw.use(requireStore(deps.stores));

  // PouchDB asks the server root for a uuid to name its replication checkpoints.
  gw.get('/', (c) => c.json({ couchdb: 'Welcome', vendor: { name: 'memberedge hub' }, uuid: deps.hubId }));

  gw.all('/:db/*', async (c) => {
    const store = c.get('store');
    const db = c.req.param('db');
    if (db !== store.db) throw new AppError('forbidden', `store ${store.id} may only replicate its own database ${store.db}`);
    const rest = c.req.path.slice(c.req.path.indexOf(`/${db}`) + db.length + 1).replace(/^\//, '');
    const method = c.req.method;
    const url = new URL(c.req.url);

    if (rest === '' && (method === 'GET' || method === 'HEAD')) return proxy(c, deps.couch, `/${db}/`);
    if (rest === '_changes' && (method === 'GET' || method === 'POST')) {
      // Filtered changes are how pouchdb-server is crashed (and slow on CouchDB): never passed on.
      if (url.searchParams.has('filter') || url.searchParams.has('selector')) throw new AppError('forbidden', 'filtered _changes is not available through the gateway');
      return proxy(c, deps.couch, `/${db}/_changes`, method === 'POST' ? await c.req.text() : undefined);
    }
    if ((rest === '_revs_diff' || rest === '_bulk_get' || rest === '_ensure_full_commit') && method === 'POST') return proxy(c, deps.couch, `/${db}/${rest}`, await c.req.text());
    if (rest === '_all_docs' && (method === 'GET' || method === 'POST')) return proxy(c, deps.couch, `/${db}/_all_docs`, method === 'POST' ? await c.req.text() : undefined);
    if (rest.startsWith('_local/') && (method === 'GET' || method === 'PUT')) return proxy(c, deps.couch, `/${db}/${rest}`, method === 'PUT' ? await c.req.text() : undefined);
    if (rest === '_bulk_docs' && method === 'POST') return bulkDocs(c, deps, store);
    if (!rest.startsWith('_') && !rest.includes('/') && method === 'GET') return proxy(c, deps.couch, `/${db}/${rest}`);
    throw new AppError('forbidden', `${method} /${db}/${rest} is not a replication endpoint`);
  });

  gw.all('*', () => {
    throw new AppError('forbidden', 'only a store database can be reached through the gateway');
  });
  return gw;
}

async function bulkDocs(c: Context<GatewayEnv>, deps: GatewayDeps, store: StoreDoc) {
  let body: { docs?: unknown; new_edits?: boolean };
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new AppError('invalid_json', 'the body is not valid JSON');
  }
  if (!Array.isArray(body.docs)) throw new AppError('validation_failed', 'docs: expected an array', { field: 'docs' });
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
const idOf = (doc: unknown) => String((doc as { _id?: unknown } | null)?._id ?? '').slice(0, 300);

async function proxy(c: Context<GatewayEnv>, couch: Couch, path: string, body?: string): Promise<Response> {
  const res = await upstream(couch, c.req.method, path, new URL(c.req.url).search, body, c.req.raw.signal);
  const headers = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/json' });
  return new Response(c.req.method === 'HEAD' ? null : res.body, { status: res.status, headers });
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
