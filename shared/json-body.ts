import type { z } from 'zod';
import { AppError } from './errors.ts';

/** The largest request body accepted: a 500-line receipt fits with room to spare. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * How large and how deep a JSON body may be. JSON.parse copes with any depth; JSON.stringify,
 * zod's recursion and pouchdb-server do not (a body nested 10,000 deep threw a RangeError).
 */
export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
}
export const API_BODY_LIMITS: BodyLimits = { maxBytes: MAX_BODY_BYTES, maxDepth: 32 };

const bodyTooLarge = (limits: BodyLimits) => new AppError('body_too_large', `the body exceeds ${limits.maxBytes} bytes`);

/** What a request offers to read its body; Hono's `c.req` fits, shared/ stays free of Hono. */
export interface BodySource {
  header(name: string): string | undefined;
  text(): Promise<string>;
}

/** Reads a JSON request body: the wrong content type is a 415, then as readBody. */
export async function readJsonBody<S extends z.ZodType>(req: BodySource, schema: S): Promise<z.infer<S>> {
  if (!(req.header('content-type') ?? '').includes('application/json')) throw new AppError('unsupported_media_type', 'send Content-Type: application/json');
  return readBody(req, schema);
}

/** Reads a body within its limits (an announced length over them is refused before reading), then as parseJsonBody. */
export async function readBody<S extends z.ZodType>(req: BodySource, schema: S, limits: BodyLimits = API_BODY_LIMITS): Promise<z.infer<S>> {
  if (Number(req.header('content-length') ?? 0) > limits.maxBytes) throw bodyTooLarge(limits);
  return parseJsonBody(await req.text(), schema, limits);
}

/**
 * Parses and validates a request body: too large is a 413; nested too deep, malformed JSON, a
 * wrong type or an unknown field is a 400 naming the field.
 */
export function parseJsonBody<S extends z.ZodType>(text: string, schema: S, limits: BodyLimits = API_BODY_LIMITS): z.infer<S> {
  if (Buffer.byteLength(text) > limits.maxBytes) throw bodyTooLarge(limits);
  if (nestedDeeperThan(text, limits.maxDepth)) throw new AppError('validation_failed', `the body nests deeper than ${limits.maxDepth} levels`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationFailed(parsed.error);
  return parsed.data;
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`, read as text, skipping brackets
 * inside strings.
 *
 * @example nestedDeeperThan('[[1]]', 1) // true
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > max) return true;
    } else if (ch === 125 || ch === 93) depth--;
  }
  return false;
}

/** Text from a client as an error message may repeat it: at most 64 characters. */
const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 61)}...` : s);

/** A 400 `validation_failed` naming the first field that failed (a body's or a query's); keys from the client are echoed clipped, never whole. */
export function validationFailed(error: z.ZodError): AppError {
  const issue = error.issues[0]!;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => clip(k)) : [];
  const field = clip(issue.path.map(String).join('.')) || keys.join(', ');
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${keys.slice(0, 5).join(', ')}` : `${field ? `${field}: ` : ''}${issue.message}`;
  return new AppError('validation_failed', message, { field: issue.code === 'unrecognized_keys' ? keys[0] : field, issues: error.issues.length, ...(issue.code === 'invalid_value' ? { allowed: issue.values } : {}) });
}

/** The error body every service answers with: `{error: {code, message, ...}}`. */
export function errorBody(err: AppError) {
  return { error: { code: err.code, message: err.message, ...err.details }, ...err.beside };
}
