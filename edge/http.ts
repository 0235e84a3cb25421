import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../shared/errors.ts';

export type Env = { Variables: { terminalId: string } };

/** Reads and validates a JSON body: malformed JSON, a wrong type or an unknown field is a 400 naming the field. */
export async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json')) throw new AppError('unsupported_media_type', 'send Content-Type: application/json');
  let raw: unknown;
  try {
    raw = await c.req.json();
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
