import { describe, it, expect } from 'vitest';
import { averageCompleteness, completeness, completenessOfMask, fieldBit } from '../../shared/one-id/completeness.ts';
import { goldenIdentities, goldenProfile } from '../../shared/one-id/survivorship.ts';
import { day, rec } from './one-id-fixtures.ts';

const PRIORITY = ['crm', 'store', 'wx', 'tmall'];

describe('goldenProfile', () => {
  it('takes each field from the most trusted source that has it', () => {
    const g = goldenProfile(
      [
        rec('tmall:1', { phone: '+8613912345670' }, { profile: { name: 'tmall name', gender: 'F', birthday: '1990-01-02' }, observedAt: day(9) }),
        rec('crm:1', { cardNo: 'VIP0001' }, { profile: { name: 'crm name' }, observedAt: day(1) }),
        rec('wx:1', {}, { profile: { region: { city: '上海' }, gender: 'M' }, observedAt: day(2) }),
      ],
      PRIORITY,
    );
    expect(g).toEqual({ name: 'crm name', gender: 'M', birthday: '1990-01-02', region: { city: '上海' }, phone: '+8613912345670', cardNo: 'VIP0001' });
  });

  it('breaks ties within a source by the most recent observation, then by record id', () => {
    const older = rec('crm:1', {}, { profile: { name: 'old' }, observedAt: day(1) });
    const newer = rec('crm:2', {}, { profile: { name: 'new' }, observedAt: day(5) });
    expect(goldenProfile([older, newer], PRIORITY).name).toBe('new');
    expect(goldenProfile([newer, older], PRIORITY).name).toBe('new');
    const a = rec('crm:a', {}, { profile: { name: 'A' } });
    const b = rec('crm:b', {}, { profile: { name: 'B' } });
    expect(goldenProfile([b, a], PRIORITY).name).toBe('A');
  });

  it('never lets an empty value win, and unlisted sources rank last', () => {
    const g = goldenProfile([rec('pos:1', {}, { profile: { name: 'pos' } }), rec('crm:1', {}, { profile: { name: '  ', region: {} } })], PRIORITY);
    expect(g.name).toBe('pos');
    expect(g.region).toBeUndefined();
  });

  it('does not show a quarantined phone as the member phone', () => {
    const recs = [rec('crm:1', { phone: '+8613800000000' }), rec('wx:1', { phone: '+8613912345670' })];
    expect(goldenProfile(recs, PRIORITY, (k) => k !== 'phone:+8613800000000').phone).toBe('+8613912345670');
  });

  it('keeps every identity of every record', () => {
    const ids = goldenIdentities([
      rec('crm:1', { phone: '+8613912345670', openIds: [{ appId: 'wxb', openId: 'oOpen_0002' }] }, { memberId: 'M2' }),
      rec('wx:1', { phone: '+8613912345671', openIds: [{ appId: 'wxa', openId: 'oOpen_0001' }] }),
    ]);
    expect(ids.phones).toEqual(['+8613912345670', '+8613912345671']);
    expect(ids.openIds.map((o) => o.appId)).toEqual(['wxa', 'wxb']);
    expect(ids.memberIds).toEqual(['M2']);
  });
});

describe('completeness and metrics', () => {
  it('scores the standard fields', () => {
    expect(completeness({})).toBe(0);
    expect(completeness({ phone: '+8613912345670', name: 'A' })).toBe(0.25);
    expect(completeness({ phone: 'p', name: 'n', gender: 'F', birthday: '1990-01-01', region: { city: 'c' }, registeredAt: day(0), homeStoreId: 'S1', cardNo: 'C1' })).toBe(1);
    expect(completeness({ region: {} })).toBe(0);
    expect(averageCompleteness([{}, { phone: 'p', name: 'n' }])).toBe(0.125);
    expect(averageCompleteness([])).toBe(0);
    expect(completenessOfMask(fieldBit('phone') | fieldBit('cardNo'))).toBe(0.25);
  });
});
