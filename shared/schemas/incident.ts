import { z } from 'zod';
import { LIMITS } from '../limits.ts';
import { Cents, IsoTime, MemberId, Text } from './common.ts';

/** How an operator settles an incident: a note only, points taken back, or a loss written off. */
export const RESOLUTION_ACTIONS = ['none', 'claw_back', 'write_off'] as const;
export type ResolutionAction = (typeof RESOLUTION_ACTIONS)[number];

/** `POST /admin/v1/incidents/:id/resolve`. */
export const ResolveIncidentSchema = z.strictObject({
  note: Text(500),
  action: z.enum(RESOLUTION_ACTIONS).default('none'),
  /** claw_back: the points to take back; write_off of an overspend: the points written off. */
  points: z.number().int().positive().max(LIMITS.points).optional(),
});
export type ResolveIncident = z.infer<typeof ResolveIncidentSchema>;

/** What a resolution decided, kept on the incident (and, begun but not finished, as its `pending`). */
export const ResolutionSchema = z.object({
  note: z.string(),
  action: z.enum(RESOLUTION_ACTIONS),
  points: z.number().int().positive().optional(),
  cents: Cents.optional(),
  /** The fact it made: `pts:<member>:adjust:…` (in hub-facts and every store serving the member) or `writeoff:…` (hub-facts). */
  factId: z.string().optional(),
  /** Operator name, or 'token'. */
  by: z.string(),
  at: IsoTime,
});
export type Resolution = z.infer<typeof ResolutionSchema>;

/**
 * A loss the business takes on an incident (`writeoff:<kind>:<key>` in hub-facts): a coupon
 * redeemed twice (its discount, in cents) or points spent beyond the balance (points, and what
 * they pay at the till in cents). It changes no balance; finance counts it.
 */
export const WriteOffDocSchema = z.object({
  _id: z.string(),
  _rev: z.string().optional(),
  type: z.literal('writeoff'),
  incidentId: z.string(),
  kind: z.string(),
  memberId: MemberId.optional(),
  storeId: z.string(),
  points: z.number().int().nonnegative().optional(),
  cents: Cents,
  reason: z.string(),
  by: z.string(),
  at: IsoTime,
});
export type WriteOffDoc = z.infer<typeof WriteOffDocSchema>;
