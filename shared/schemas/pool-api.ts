import { z } from 'zod';
import { HubDocsSchema } from './store-api.ts';

/*
 * A store's claim on a coupon pool, asked of the hub (v1, store credentials; decision 020). The
 * answer grows only by new fields.
 */

export const PoolClaimAnswerSchema = z.object({
  coupon: z.looseObject({ code: z.string(), memberId: z.string(), templateId: z.string(), title: z.string(), validTo: z.string() }),
  /** The coupon as the hub stored it in the asking store's database, to be written with new_edits: false. */
  docs: HubDocsSchema,
  replayed: z.boolean().optional(),
});
export type PoolClaimAnswer = z.infer<typeof PoolClaimAnswerSchema>;

export const PoolRefusalSchema = z.object({ error: z.looseObject({ code: z.string(), message: z.string() }) });
