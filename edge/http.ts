import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../shared/errors.ts';

export type Env = { Variables: { terminalId: string } };

/** The largest request body accepted: a 500-line receipt fits with room to spare. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON body: too large is a 413; malformed JSON, a wrong type or an
 * unknown field is a 400 naming the field. (Hono's bodyLimit middleware would do the size check
 * but turns every request into a full WHATWG Request, which costs half the throughput here.)
 */
export async function body<S extends z.ZodType>(c: Context<Env>, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json')) throw new AppError('unsupported_media_type', 'send Content-Type: application/json');
  const tooLarge = () => new AppError('body_too_large', `the body exceeds ${MAX_BODY_BYTES} bytes`);
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLarge();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : `${field ? `${field}: ` : ''}${issue.message}`;
    throw new AppError('validation_failed', message, { field: issue.code === 'unrecognized_keys' ? issue.keys[0] : field, issues: parsed.error.issues.length });
  }
  return parsed.data;
}

export function errorBody(err: AppError) {
  return { error: { code: err.code, message: err.message, ...err.details }, ...err.beside };
}
