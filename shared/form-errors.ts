import type { z } from 'zod';

/**
 * Per-field errors of a console form: the zod issues of the schema the API checks with, turned
 * into a code and its figures, so each language words them (the console's `invalid.<code>`
 * messages). Keys are the form's field names; a Map, since they come from a client.
 */
export interface FieldError {
  code: string;
  params?: Record<string, string | number>;
}
export type FieldErrors = Map<string, FieldError>;

/** How a zod issue reads as a field error: which rule it broke, never zod's English. */
export function fieldError(issue: z.core.$ZodIssue): FieldError {
  const i = issue as z.core.$ZodIssue & Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type':
      if (i.input === undefined) return { code: 'required' };
      return { code: i.expected === 'int' ? 'whole' : i.expected === 'number' ? 'number' : 'type' };
    case 'too_small': {
      const min = Number(i.minimum);
      if (i.origin === 'string') return min <= 1 ? { code: 'required' } : { code: 'shortText', params: { min } };
      if (i.origin === 'array') return { code: 'fewItems', params: { min } };
      return i.inclusive === false ? { code: 'above', params: { min } } : { code: 'atLeast', params: { min } };
    }
    case 'too_big': {
      const max = Number(i.maximum);
      if (i.origin === 'string') return { code: 'longText', params: { max } };
      if (i.origin === 'array') return { code: 'manyItems', params: { max } };
      return { code: 'atMost', params: { max } };
    }
    case 'invalid_format':
      return { code: 'format' };
    case 'invalid_value':
    case 'invalid_union':
      return { code: 'choice' };
    case 'custom': {
      const rule = (i.params as Record<string, unknown> | undefined)?.rule;
      return { code: typeof rule === 'string' ? rule : 'invalid' };
    }
    case 'unrecognized_keys':
      return { code: 'unknownField' };
    default:
      return { code: 'invalid' };
  }
}

/**
 * The first error of each form field, from a schema's issues; `fieldOf` names the form field of
 * an issue's path (the forms show money in RMB where the schema has cents, and rows by their
 * place in the form).
 *
 * @example formErrors(RulesSchema.safeParse(x).error!.issues, (p) => p.join('.'))
 * // Map { 'joinGift' => { code: 'required' } }
 */
export function formErrors(issues: readonly z.core.$ZodIssue[], fieldOf: (path: readonly PropertyKey[]) => string, into: FieldErrors = new Map()): FieldErrors {
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    if (!into.has(field)) into.set(field, fieldError(issue));
  }
  return into;
}
