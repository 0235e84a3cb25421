import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from '../passwords.ts';
import { Text } from './common.ts';

/** An operator's login name: lower case, part of a document id (`operator:<name>`), never `__proto__`. */
export const OperatorName = z.string().regex(/^[a-z][a-z0-9._-]{1,31}$/, 'a lower-case letter, then 1-31 lower-case letters, digits, ., _ or -');
/** A role's id as roles have them (`role:<id>`). */
export const RoleId = z.string().regex(/^[a-z][a-z0-9_]{1,31}$/, 'a lower-case letter, then lower-case letters, digits or _');
/**
 * A node of the org tree the operator's data is limited to (`region:East`, `city:Shanghai`,
 * `store:S001`); absent is everything. `operator add` checks that the node exists
 * (hub/org/organisation.ts) and stores it as the tree spells it; shared/org-scope.ts reads it.
 */
export const Scope = Text(80);

export const AddOperatorSchema = z.strictObject({ name: OperatorName, role: RoleId, scope: Scope.optional() });

/** Login and password bodies: bounded, since every byte goes through scrypt; the name is only compared. */
const GivenPassword = z.string().min(1).max(MAX_PASSWORD_LENGTH);
export const LoginSchema = z.strictObject({ name: z.string().min(1).max(64), password: GivenPassword });
export const PasswordChangeSchema = z.strictObject({ current: GivenPassword, next: z.string().max(1024) });
