/*
 * The one parser of `Authorization` headers, for the edge's terminal tokens, the hub's admin
 * token and a store's Basic credentials. RFC 9110 §11.1: the scheme is case-insensitive
 * (`bearer`, `BASIC`), one or more spaces separate it from the credentials; clients and proxies
 * also add spaces or tabs around the credentials, which are never part of a token.
 */

const isSpace = (c: number) => c === 32 || c === 9;

/**
 * The credentials after `scheme` in an Authorization header, or undefined when the header is
 * absent, of another scheme or empty after it. Cheap: every POS call passes here.
 *
 * @example credentialsOf('bearer  met_abc ', 'Bearer') // 'met_abc'
 * @example credentialsOf('Basic dTpw', 'Bearer') // undefined
 */
export function credentialsOf(header: string | undefined, scheme: 'Bearer' | 'Basic'): string | undefined {
  if (!header) return undefined;
  let i = 0;
  while (i < header.length && isSpace(header.charCodeAt(i))) i++;
  const end = i + scheme.length;
  if (end >= header.length || !isSpace(header.charCodeAt(end))) return undefined;
  // The usual spelling is compared without allocating; any other case once, lower-cased.
  if (!header.startsWith(scheme, i) && header.slice(i, end).toLowerCase() !== scheme.toLowerCase()) return undefined;
  const credentials = header.slice(end + 1).trim();
  return credentials === '' ? undefined : credentials;
}
