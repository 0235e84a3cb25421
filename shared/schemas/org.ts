import { z } from 'zod';
import { Text } from './common.ts';

/**
 * Names that a plain object answers from its prototype (`constructor`, `toString`, `__proto__`):
 * never a region's or a city's name, so no such text can reach a lookup by mistake.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype']);

/**
 * A region's or a city's name, as the org tree shows it and a scope names it (`region:East`):
 * visible text of 1-40 characters (no control, bidi-override or unpaired surrogate characters),
 * without `:` (the node id's separator) and never a prototype key. Compared without case.
 */
export const OrgName = Text(40)
  .refine((v) => !v.includes(':'), 'no ":" (it separates a node id: region:East)')
  .refine((v) => !PROTOTYPE_KEYS.has(v), 'not a name JavaScript objects reserve');

/** `POST /admin/v1/org/cities`: a city, in one region (created by naming it, as `store add --region` does). */
export const AddCitySchema = z.strictObject({ name: OrgName, region: OrgName });

/** `POST /admin/v1/stores/:id/move`: into a city (and so its region), or directly into a region. */
export const MoveStoreSchema = z.strictObject({ city: OrgName.optional(), region: OrgName.optional() }).refine((b) => (b.city === undefined) !== (b.region === undefined), 'send exactly one of city (the store goes into that city and its region) or region (directly into the region)');
