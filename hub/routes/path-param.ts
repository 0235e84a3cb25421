import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../../shared/errors.ts';

/**
 * A path parameter checked against the schema of the ids it names. Text outside it names nothing:
 * the route's not-found, without repeating the text (it may be 10,000 characters, or a key that
 * would reach the database as a URL too long for it).
 */
export function pathId(c: Context, name: string, schema: z.ZodType<string>, notFound: ErrorCode, what: string): string {
  const value = c.req.param(name) ?? '';
  if (!schema.safeParse(value).success) throw new AppError(notFound, `no ${what} with that id`);
  return value;
}
