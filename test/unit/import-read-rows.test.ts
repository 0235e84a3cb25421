import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvHeader, readRows, type RowFormat, type RowItem } from '../../hub/import/read-rows.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'read-rows-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, content);
  return f;
}

async function all(f: string, format: RowFormat, from?: { rowNo: number; byteOffset: number }): Promise<RowItem[]> {
  const out: RowItem[] = [];
  for await (const item of readRows(f, format, from)) out.push(item);
  return out;
}

describe('readRows: CSV', () => {
  it('reads quoted commas, quotes and newlines, a BOM and CRLF, and a last row without newline', async () => {
    const f = await file('a.csv', '\ufeffid, name ,note\r\n1,"Li, Ming","says ""hi"""\r\n2,张三,"two\nlines"\r\n3,x,y');
    const items = await all(f, 'csv');
    expect(items.map((i) => [i.rowNo, i.row])).toEqual([
      [1, { id: '1', name: 'Li, Ming', note: 'says "hi"' }],
      [2, { id: '2', name: '张三', note: 'two\nlines' }],
      [3, { id: '3', name: 'x', note: 'y' }],
    ]);
    expect(items.at(-1)!.byteOffset).toBe((await stat(f)).size);
  });

  it('takes any header as an ordinary column name: __proto__ and constructor are columns, not a prototype', async () => {
    const f = await file('proto.csv', 'id,__proto__,constructor\n1,x,y\n');
    const [item] = await all(f, 'csv');
    const row = item!.row!;
    expect(Object.keys(row)).toEqual(['id', '__proto__', 'constructor']);
    expect(row['__proto__']).toBe('x');
    expect(row['constructor']).toBe('y');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('gives every row the offset just past it', async () => {
    const text = 'id,v\n1,a\n2,"b\nb"\n3,张\n';
    const f = await file('b.csv', text);
    const offsets = (await all(f, 'csv')).map((i) => i.byteOffset);
    const bytes = Buffer.from(text);
    // 'id,v\n' is 5 bytes, '1,a\n' 4, '2,"b\nb"\n' 8, '3,张\n' 6 (张 is 3 bytes).
    expect(offsets).toEqual([9, 17, 23]);
    expect(offsets.at(-1)).toBe(bytes.length);
  });

  it('yields a row with the wrong number of fields as an error and goes on', async () => {
    const f = await file('c.csv', 'id,v\n1,a\n2,b,extra\n3\n4,d\n');
    const items = await all(f, 'csv');
    expect(items.map((i) => [i.rowNo, i.error ?? i.row])).toEqual([
      [1, { id: '1', v: 'a' }],
      [2, 'expected 2 fields, found 3'],
      [3, 'expected 2 fields, found 1'],
      [4, { id: '4', v: 'd' }],
    ]);
  });

  it('rejects an unclosed quote, which swallows the rest of the file, as one row', async () => {
    const f = await file('d.csv', 'id,v\n1,a\n2,"open\n3,c\n');
    const items = await all(f, 'csv');
    expect(items).toHaveLength(2);
    expect(items[1]).toMatchObject({ rowNo: 2, error: expect.stringContaining('Quote Not Closed'), byteOffset: 21 });
  });

  it('resumes after a row: re-reads the header, yields exactly the rows after it', async () => {
    const f = await file('e.csv', '\ufeffid,v\r\n1,a\r\n2,"b\r\nb"\r\n3,c\r\n4,d\r\n');
    const full = await all(f, 'csv');
    for (let k = 0; k < full.length; k++) {
      const from = k === 0 ? { rowNo: 0, byteOffset: 0 } : { rowNo: full[k - 1]!.rowNo, byteOffset: full[k - 1]!.byteOffset };
      expect(await all(f, 'csv', from)).toEqual(full.slice(k));
    }
    expect(await all(f, 'csv', { rowNo: full.at(-1)!.rowNo, byteOffset: full.at(-1)!.byteOffset })).toEqual([]);
  });

  it('reads the header alone', async () => {
    const f = await file('f.csv', '\ufeff a ,b\n1,2\n');
    expect(await readCsvHeader(f)).toEqual({ header: ['a', 'b'], byteOffset: 9 });
  });
});

describe('readRows: NDJSON', () => {
  it('reads objects line by line, skips blank lines, numbers rows by line, rejects broken lines', async () => {
    const f = await file('a.ndjson', '\ufeff{"a":1}\r\n\n{"a":"张"}\n{"a": broken\n[1,2]\n{"a":3}');
    const items = await all(f, 'ndjson');
    expect(items.map((i) => [i.rowNo, i.error ? i.error.split(':')[0] : i.row])).toEqual([
      [1, { a: 1 }],
      [3, { a: '张' }],
      [4, 'invalid JSON'],
      [5, 'not a JSON object'],
      [6, { a: 3 }],
    ]);
    expect(items.at(-1)!.byteOffset).toBe((await stat(f)).size);
  });

  it('resumes after any row with the same rows and offsets', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i * 97) }));
    const f = await file('b.ndjson', lines.join('\n') + '\n');
    const full = await all(f, 'ndjson');
    expect(full).toHaveLength(50);
    for (const k of [1, 7, 49]) {
      expect(await all(f, 'ndjson', { rowNo: full[k - 1]!.rowNo, byteOffset: full[k - 1]!.byteOffset })).toEqual(full.slice(k));
    }
  });

  it('reads lines that span read chunks', async () => {
    const big = 'y'.repeat(600 * 1024);
    const f = await file('c.ndjson', `{"a":"${big}"}\n{"b":1}\n`);
    const items = await all(f, 'ndjson');
    expect(items.map((i) => i.rowNo)).toEqual([1, 2]);
    expect((items[0]!.row as { a: string }).a).toHaveLength(big.length);
  });
});
