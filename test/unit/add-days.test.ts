import { describe, expect, it } from 'vitest';
import { addDays } from '../../shared/local-time.ts';

describe('addDays', () => {
  it('crosses months, years and leap days', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-11-29', -13)).toBe('2026-11-16');
  });
});
