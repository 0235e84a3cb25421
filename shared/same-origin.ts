/**
 * Whether a form was sent from a page of the host it was posted to: the request's Origin (else
 * Referer) names that host. A sign-in form has no session to carry a CSRF token yet; this keeps
 * another site from signing a browser in to an account of its choosing (login CSRF).
 *
 * @example sentFrom('http://10.0.0.5:8401/guide/login', '10.0.0.5:8401') // true
 * @example sentFrom('null', '10.0.0.5:8401') // false
 */
export function sentFrom(originOrReferer: string | undefined, host: string): boolean {
  if (!originOrReferer || originOrReferer === 'null') return false;
  try {
    return new URL(originOrReferer).host === host;
  } catch {
    return false;
  }
}
