import { randomBytes } from 'node:crypto';
import { adminClient } from './hub.ts';

export type SessionAnswer = { status: number; body: any; cookie: string | undefined; setCookie: string | undefined };

/**
 * An operator's browser, as the hub's API sees it: keeps the session cookie the hub sets and the
 * CSRF token it hands out, and sends both back. `onSecret` hears every password, cookie and
 * token, for tests that look for them where they must not be (logs, the audit log).
 */
export class OperatorSession {
  cookie: string | undefined;
  csrf: string | undefined;
  constructor(
    readonly url: string,
    private readonly onSecret: (s: string) => void = () => {},
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<SessionAnswer> {
    const res = await fetch(this.url + path, {
      method,
      headers: {
        ...(this.cookie ? { cookie: `memberedge_session=${this.cookie}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('memberedge_session='));
    const cookie = setCookie ? /^memberedge_session=([^;]*)/.exec(setCookie)![1] : undefined;
    if (cookie !== undefined) this.cookie = cookie || undefined;
    if (cookie) this.onSecret(cookie);
    const json = (await res.json()) as any;
    if (typeof json?.csrfToken === 'string') {
      this.csrf = json.csrfToken;
      this.onSecret(json.csrfToken);
    }
    return { status: res.status, body: json, cookie, setCookie };
  }

  login(name: string, password: string, headers: Record<string, string> = {}) {
    this.onSecret(password);
    return this.call('POST', '/console/api/session', { name, password }, headers);
  }

  get = (path: string) => this.call('GET', `/admin/v1${path}`);
  post = (path: string, body: unknown = {}) => this.call('POST', `/admin/v1${path}`, body);
}

/**
 * A new operator, signed in as on their first visit: with the one-time password the hub hands
 * out, then one of their own (the hub asks for it before anything else). `session` is the
 * browser to sign in with (a subclass, one that records secrets); `by` adds the operator instead
 * of the admin token (an operator who may add operators).
 */
export async function newOperator<S extends OperatorSession = OperatorSession>(
  hub: { url: string; dir: string },
  name: string,
  role: string,
  opts: { scope?: string; session?: S; by?: OperatorSession } = {},
): Promise<S & { name: string; password: string }> {
  const body = { name, role, ...(opts.scope !== undefined ? { scope: opts.scope } : {}) };
  const added = opts.by ? await opts.by.post('/operators', body) : await adminClient(hub).post('/operators', body);
  if (added.status !== 201) throw new Error(`operator ${name} not added: ${added.status} ${JSON.stringify(added.body)}`);
  const s = opts.session ?? (new OperatorSession(hub.url) as S);
  const login = await s.login(name, added.body.password);
  if (login.status !== 200) throw new Error(`operator ${name} not signed in: ${login.status} ${JSON.stringify(login.body)}`);
  const password = `pw ${randomBytes(9).toString('base64url')}`;
  const changed = await s.call('POST', '/console/api/password', { current: added.body.password, next: password });
  if (changed.status !== 200) throw new Error(`operator ${name}'s password not changed: ${changed.status} ${JSON.stringify(changed.body)}`);
  return Object.assign(s, { name, password });
}
