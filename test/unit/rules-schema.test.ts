import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, LoyaltyRulesSchema } from '../../shared/schemas/rules.ts';

describe('LoyaltyRulesSchema', () => {
  it('accepts the defaults', () => {
    expect(LoyaltyRulesSchema.safeParse(DEFAULT_RULES).success).toBe(true);
  });

  it('refuses tiers out of order or without a tier at zero spend', () => {
    const [l1, l2, l3] = DEFAULT_RULES.tiers as [never, never, never];
    expect(LoyaltyRulesSchema.safeParse({ ...DEFAULT_RULES, tiers: [l1, l3, l2] }).success).toBe(false);
    expect(LoyaltyRulesSchema.safeParse({ ...DEFAULT_RULES, tiers: [l2, l3] }).success).toBe(false);
  });

  it('refuses no tiers at all with an issue, not an exception (the fuzz bench: PUT /rules answered 500)', () => {
    const parsed = LoyaltyRulesSchema.safeParse({ ...DEFAULT_RULES, tiers: [] });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['tiers']);
  });
});
