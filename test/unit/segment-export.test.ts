import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { csvCell, hashedPhone } from '../../hub/segments/segment-members.ts';

describe('segment export cells', () => {
  it('quote what CSV needs quoted and keep spreadsheets from running formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('+8613912345670')).toBe('+8613912345670'); // an E.164 phone stays a phone
    expect(csvCell(-1200)).toBe('-1200'); // numbers are ours
    expect(csvCell(null)).toBe('');
  });

  it('hash the E.164 phone as lower-case hex SHA-256', () => {
    expect(hashedPhone('+8613912345670')).toBe(createHash('sha256').update('+8613912345670').digest('hex'));
    expect(hashedPhone('+8613912345670')).toMatch(/^[0-9a-f]{64}$/);
  });
});
