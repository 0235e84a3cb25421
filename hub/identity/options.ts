import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LINK_KEY_TYPES } from '../../shared/one-id/keys.ts';
import type { ResolverOptions } from '../../shared/one-id/resolver.ts';

const OneIdOptionsSchema = z.strictObject({
  /** Most trusted first: the CRM's profile beats a marketplace nickname's. */
  sourcePriority: z.array(z.string().min(1)).min(1),
  /** Distinct records a key may be carried by before it is quarantined, per key type. */
  keyLimits: z.partialRecord(z.enum(LINK_KEY_TYPES), z.number().int().min(2)).optional(),
});

export const DEFAULT_ONE_ID_OPTIONS: ResolverOptions = {
  sourcePriority: ['crm', 'pos', 'ecom', 'wechat', 'jd', 'tmall', 'orders'],
  keyLimits: { phone: 10, card: 10, unionid: 10, openid: 10, tmall: 10, jd: 10 },
};

/** DIR/one-id.json when there is one (validated), else the defaults. */
export async function loadOneIdOptions(dataDir: string): Promise<ResolverOptions> {
  const file = join(dataDir, 'one-id.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return DEFAULT_ONE_ID_OPTIONS;
  const parsed = OneIdOptionsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { ...DEFAULT_ONE_ID_OPTIONS, ...parsed.data };
}
