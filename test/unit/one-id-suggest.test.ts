import { describe, it, expect } from 'vitest';
import { phoneTypo, suggestMatches } from '../../shared/one-id/suggest.ts';

describe('phoneTypo', () => {
  it('finds one wrong digit or one adjacent swap, nothing else', () => {
    expect(phoneTypo('+8613912345670', '+8613912345679')).toBe(true);
    expect(phoneTypo('+8613912345670', '+8613912345607')).toBe(true);
    expect(phoneTypo('+8613912345670', '+8613912354670')).toBe(true);
    expect(phoneTypo('+8613912345670', '+8613912345670')).toBe(false);
    expect(phoneTypo('+8613912345670', '+8613912345688')).toBe(false);
    expect(phoneTypo('+8613912345670', '+8613912347650')).toBe(false);
  });
});

describe('suggestMatches', () => {
  it('suggests same name + birthday, same name + phone typo, same name + city, best first', () => {
    const s = suggestMatches([
      { id: 'G1', name: '王芳', birthday: '1990-01-02', city: '上海', phones: ['+8613912345670'] },
      { id: 'G2', name: '王 芳', birthday: '1990-01-02', city: '上海', phones: [] },
      { id: 'G3', name: '李雷', phones: ['+8613912345670'] },
      { id: 'G4', name: '李雷', phones: ['+8613912345607'] },
      { id: 'G5', name: '韩梅', city: '北京', phones: [] },
      { id: 'G6', name: '韩梅', city: '北京', phones: [] },
      { id: 'G7', name: '韩梅', city: '天津', phones: ['+8613912345607'] },
    ]);
    expect(s.map((x) => [x.a, x.b, x.reason])).toEqual([
      ['G1', 'G2', 'name+birthday'],
      ['G3', 'G4', 'name+phone-typo'],
      ['G5', 'G6', 'name+city'],
    ]);
    expect(s[0]!.reasons).toEqual(['name+birthday', 'name+city']);
    expect(s[0]!.score).toBeGreaterThan(0.9);
  });

  it('finds a swap across the middle of the number', () => {
    // Positions 7 and 8 of the E.164 string straddle the blocking halves.
    const s = suggestMatches([
      { id: 'A', name: 'x', phones: ['+8613912345670'] },
      { id: 'B', name: 'x', phones: ['+8613921345670'] },
      { id: 'C', name: 'x', phones: ['+8613913245670'] },
    ]);
    expect(s.map((x) => `${x.a}${x.b}`).sort()).toEqual(['AB', 'AC']);
  });

  it('skips buckets bigger than the cap and excluded pairs', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `G${i}`, name: '王伟', city: '上海', phones: [] }));
    expect(suggestMatches(many)).toEqual([]);
    expect(suggestMatches(many, { maxBucket: 40 })).toHaveLength((30 * 29) / 2);
    const two = [{ id: 'A', name: 'n', birthday: '2000-01-01', phones: [] }, { id: 'B', name: 'n', birthday: '2000-01-01', phones: [] }];
    expect(suggestMatches(two, { excluded: (a, b) => a === 'A' && b === 'B' })).toEqual([]);
  });
});
