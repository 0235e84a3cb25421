import type { Context } from 'hono';
import type { z } from 'zod';
import { readJsonBody } from '../shared/json-body.ts';

export { errorBody } from '../shared/json-body.ts';

export type Env = { Variables: { terminalId: string } };

/**
 * Reads and validates a JSON body (shared/json-body.ts). Hono's bodyLimit middleware would do the
 * size check but turns every request into a full WHATWG Request, which costs half the throughput.
 */
export const body = <S extends z.ZodType>(c: Context<Env>, schema: S): Promise<z.infer<S>> => readJsonBody(c.req, schema);
