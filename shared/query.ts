import { z } from 'zod';
import { AppError } from './errors.ts';
import { validationFailed } from './json-body.ts';
import { dict } from './own.ts';

/**
 * Validates a request's query string: an unknown parameter, a parameter given twice or a value
 * outside the schema is a 400 `validation_failed` naming it (and the allowed values, for a
 * choice), never a filter that silently matches nothing. Parameter names are outside text, so
 * they are collected in a prototype-free object.
 *
 * @example parseQuery(new URLSearchParams('status=open'), z.strictObject({ status: z.enum(['open', 'resolved']).optional() }))
 */
export function parseQuery<S extends z.ZodType>(params: URLSearchParams, schema: S): z.infer<S> {
  const raw = dict<string>();
  for (const [name, value] of params) {
    if (Object.hasOwn(raw, name)) throw new AppError('validation_failed', `${name.slice(0, 64)}: given more than once`, { field: name.slice(0, 64) });
    raw[name] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationFailed(parsed.error);
  return parsed.data;
}

/** A whole number in a query string, within bounds. */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
