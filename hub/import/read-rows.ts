import { createReadStream } from 'node:fs';
import { type Options, parse, type Parser } from 'csv-parse';
import { dict } from '../../shared/own.ts';

/*
 * Streams the rows of a CSV or NDJSON export without holding the file: the parser pulls the next
 * chunk only when the consumer asks for the next row (an async iterator on a paused stream), so
 * memory stays at a chunk or two whatever the file's size.
 *
 * Every row carries the byte offset just past it. A caller that persisted { rowNo, byteOffset } of
 * the last row it made durable resumes with `from`, and gets exactly the rows after that one.
 *
 * rowNo is the data row's ordinal for CSV (the header is row 0; a quoted newline does not start a
 * row) and the line number for NDJSON (blank lines are skipped but counted). A row the parser
 * cannot read comes out as an error item, so that the caller can reject it and go on.
 */

export type RowFormat = 'csv' | 'ndjson';

export type RowItem =
  | { rowNo: number; byteOffset: number; row: Record<string, unknown>; error?: undefined }
  | { rowNo: number; byteOffset: number; error: string; raw: string; row?: undefined };

export interface ReadFrom {
  /** The last row already handled (0 for none). */
  rowNo: number;
  /** The byte offset just past that row. */
  byteOffset: number;
}

const CHUNK = 256 * 1024;
const MAX_LINE = 8 * 1024 * 1024;

/** The rows of `file`, in order, after `from` if given. */
export function readRows(file: string, format: RowFormat, from?: ReadFrom): AsyncGenerator<RowItem> {
  return format === 'csv' ? readCsv(file, from) : readNdjson(file, from);
}

// Line endings are taken as they come: exports that mix \r\n and \n are common.
const csvOptions: Options = { relax_column_count: true, relax_quotes: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n'], skip_records_with_error: true, info: true, raw: true };

type CsvItem = { record: string[]; info: { bytes: number }; raw: string } | { skipped: string; raw: string };

/** A csv-parse stream whose unreadable records come out in order with the good ones. */
function csvParser(bom: boolean): Parser {
  const parser = parse({ ...csvOptions, bom });
  // 'skip' fires synchronously while the chunk is parsed, so pushing here keeps the row order.
  parser.on('skip', (err: Error | undefined, raw: string | undefined) => {
    parser.push({ skipped: err?.message ?? 'unreadable row', raw: raw ?? '' } satisfies CsvItem);
  });
  return parser;
}

/** The header row of a CSV file, names trimmed (and the BOM gone), and the offset just past it. */
export async function readCsvHeader(file: string): Promise<{ header: string[]; byteOffset: number }> {
  const input = createReadStream(file, { highWaterMark: 64 * 1024 });
  const parser = input.pipe(csvParser(true));
  try {
    for await (const item of parser as AsyncIterable<CsvItem>) {
      if ('skipped' in item) throw new Error(`unreadable CSV header: ${item.skipped}`);
      return { header: item.record.map((h) => h.trim()), byteOffset: item.info.bytes };
    }
    throw new Error('empty CSV file: no header row');
  } finally {
    input.destroy();
    parser.destroy();
  }
}

async function* readCsv(file: string, from?: ReadFrom): AsyncGenerator<RowItem> {
  const fresh = !from || from.byteOffset === 0;
  let header: string[] | undefined;
  let base = 0;
  let rowNo = 0;
  if (!fresh) {
    ({ header } = await readCsvHeader(file));
    base = from.byteOffset;
    rowNo = from.rowNo;
  }
  const input = createReadStream(file, { start: base, highWaterMark: CHUNK });
  const parser = input.pipe(csvParser(fresh));
  input.on('error', (err) => parser.destroy(err));
  let byteOffset = base;
  try {
    for await (const item of parser as AsyncIterable<CsvItem>) {
      if ('skipped' in item) {
        // csv-parse's byte count is not reliable for a skipped record; its raw text is.
        byteOffset += Buffer.byteLength(item.raw);
        if (!header) throw new Error(`unreadable CSV header: ${item.skipped}`);
        yield { rowNo: ++rowNo, byteOffset, error: `unreadable CSV: ${item.skipped}`, raw: item.raw };
        continue;
      }
      byteOffset = base + item.info.bytes;
      if (!header) {
        header = item.record.map((h) => h.trim());
        continue;
      }
      rowNo++;
      if (item.record.length !== header.length) {
        yield { rowNo, byteOffset, error: `expected ${header.length} fields, found ${item.record.length}`, raw: item.raw };
        continue;
      }
      const row = dict<string>();
      for (let i = 0; i < header.length; i++) row[header[i]!] = item.record[i]!;
      yield { rowNo, byteOffset, row };
    }
  } finally {
    input.destroy();
    parser.destroy();
  }
}

async function* readNdjson(file: string, from?: ReadFrom): AsyncGenerator<RowItem> {
  let byteOffset = from?.byteOffset ?? 0;
  let lineNo = from?.rowNo ?? 0;
  const input = createReadStream(file, { start: byteOffset, highWaterMark: CHUNK });
  let rest: Buffer | undefined;
  const line = (buf: Buffer, start: number, end: number): RowItem | undefined => {
    lineNo++;
    let text = buf.toString('utf8', start, end);
    if (byteOffset === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    byteOffset += end + 1 - start;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (!text.trim()) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { rowNo: lineNo, byteOffset, error: 'not a JSON object', raw: text };
      return { rowNo: lineNo, byteOffset, row: value as Record<string, unknown> };
    } catch (err) {
      return { rowNo: lineNo, byteOffset, error: `invalid JSON: ${(err as Error).message}`, raw: text };
    }
  };
  // A line longer than this is rejected and skipped to the next newline, not buffered.
  let skipping = false;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let buf: Buffer = rest ? Buffer.concat([rest, chunk] as readonly Uint8Array[]) : chunk;
      rest = undefined;
      if (skipping) {
        const nl = buf.indexOf(10);
        if (nl === -1) {
          byteOffset += buf.length;
          continue;
        }
        byteOffset += nl + 1;
        buf = buf.subarray(nl + 1);
        skipping = false;
      }
      let start = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        const item = line(buf, start, nl);
        start = nl + 1;
        if (item) yield item;
      }
      if (buf.length - start > MAX_LINE) {
        yield { rowNo: ++lineNo, byteOffset: byteOffset + buf.length - start, error: `line longer than ${MAX_LINE} bytes`, raw: buf.toString('utf8', start, start + 200) };
        byteOffset += buf.length - start;
        skipping = true;
      } else if (start < buf.length) rest = buf.subarray(start);
    }
    if (rest) {
      // The last line has no newline: it is a row all the same, and ends at the end of the file.
      const item = line(rest, 0, rest.length);
      if (item) {
        byteOffset--;
        yield { ...item, byteOffset };
      }
    }
  } finally {
    input.destroy();
  }
}
