/**
 * A guide signed in to a store node's guide pages over HTTP, as a browser does it: the sign-in
 * form, then (a password `guide add` printed) the page that replaces it. Answers the session's
 * cookie and CSRF token, for benches and fuzzers that call the pages without a browser.
 */
export async function signInGuide(url: string, name: string, printed: string, chosen = `${name} chose a password`): Promise<{ cookie: string; csrf: string }> {
  const form = { origin: url, 'content-type': 'application/x-www-form-urlencoded' };
  const cookieOf = (res: Response) => /^(guide_session=[^;]+)/.exec(res.headers.getSetCookie().find((c) => c.startsWith('guide_session=')) ?? '')?.[1];
  const csrfOn = async (path: string, cookie: string) => /name="_csrf" value="([^"]+)"/.exec(await (await fetch(url + path, { headers: { cookie } })).text())?.[1];
  const login = await fetch(`${url}/guide/login`, { method: 'POST', redirect: 'manual', headers: form, body: new URLSearchParams({ name, password: printed }) });
  let cookie = cookieOf(login);
  if (login.status !== 303 || !cookie) throw new Error(`guide sign-in: ${login.status}`);
  if (login.headers.get('location') === '/guide' && (await fetch(`${url}/guide`, { headers: { cookie }, redirect: 'manual' })).headers.get('location') === '/guide/password') {
    const csrf = await csrfOn('/guide/password', cookie);
    const changed = await fetch(`${url}/guide/password`, { method: 'POST', redirect: 'manual', headers: { ...form, cookie }, body: new URLSearchParams({ _csrf: csrf ?? '', current: printed, next: chosen, confirm: chosen }) });
    cookie = cookieOf(changed);
    if (changed.status !== 303 || !cookie) throw new Error(`guide password: ${changed.status}`);
  }
  const csrf = await csrfOn('/guide', cookie);
  if (!csrf) throw new Error('no CSRF token on the guide page');
  return { cookie, csrf };
}
