import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { FACT_PAGE_WORDS, FactStore, type FactStoreImage } from '../../shared/profile/fact-store.ts';
import type { SourceFacts } from '../../shared/profile/source-facts.ts';

/*
 * The profile engine's facts in one file (decision 029), so that a hub restarting at a million
 * members reads a few hundred megabytes from its disk instead of ten million facts through its
 * database. The file holds what FactStore holds, word for word: its pages, the chains' heads and
 * seen-bits, the source ids by number, the string table, the facts kept as objects. The columns
 * are not in it: they are computed again from the facts, under the directory One-ID has now.
 *
 * Layout: MAGIC, the header's length (u32) and the header (JSON), the pages, the heads, the
 * seen-bits, the string table, the source ids and the wide facts (JSON each), then the CRC-32 of
 * everything before it (u32) and END. All numbers in the machine's byte order (the header says
 * which; another is refused).
 */

/**
 * The file's format. Change it whenever FactStore's record layout changes, or what
 * shared/profile/source-facts.ts makes of a document: a file of the old one is then refused and
 * the facts read again from the databases.
 */
export const PROFILE_SNAPSHOT_FORMAT = 1;

const MAGIC = Buffer.from('memberedge profiles snapshot\n', 'latin1');
const END = Buffer.from('PROFEND\n', 'latin1');
const PAGE_BYTES = FACT_PAGE_WORDS * 4;
/** Pages written per system call (16 MB). */
const PAGES_PER_WRITE = 64;
/** The header is small; anything bigger is not one of ours. */
const MAX_HEADER = 1 << 20;

/** The file a hub keeps its profile snapshot in, under `<hub dir>/snapshots/`. */
export const profileSnapshotFile = (dir: string) => join(dir, 'profiles-latest.snap');

/** What the engine says about the facts (checked at start before the pages are read). */
export interface ProfileSnapshotMeta {
  hubId: string;
  /** The time zone facts were dated in (a store fact without a day takes its day from it). */
  timeZone: string;
  /** The feeds' sequence numbers the facts are current to. */
  seqs: { facts: number; online: number };
  /** The marker each feed's database held when written: another one means the database was made anew. */
  markers: { facts: string; online: string };
  writtenAt: string;
  /** Why it was written: after a full build, or at a clean stop. */
  after: 'build' | 'stop';
}

interface Header extends ProfileSnapshotMeta {
  format: number;
  endian: string;
  pages: number;
  page: number;
  at: number;
  sources: number;
  count: number;
  factsHeld: number;
  jsonBytes: { strings: number; sources: number; wide: number };
}

/** The running CRC-32 over `b` (Node 20's crc32 answers 0 for an empty array of a zero-length buffer, not the running value). */
const crcOn = (b: Uint8Array, crc: number) => (b.byteLength === 0 ? crc : crc32(b, crc));

/** The file's length from its header: a file cut short is known before its pages are read. */
function expectedBytes(headerLength: number, h: Header): number {
  return MAGIC.length + 4 + headerLength + h.pages * PAGE_BYTES + h.sources * 12 + h.jsonBytes.strings + h.jsonBytes.sources + h.jsonBytes.wide + 4 + END.length;
}

export type SnapshotRead = { ok: true; meta: ProfileSnapshotMeta; facts: FactStore; factsHeld: number; bytes: number } | { ok: false; why: string };

/**
 * Writes the facts to `dir`'s snapshot file: a temporary file, written page by page (the pages are
 * not copied), flushed to the disk, then renamed over the previous one. The store must not change
 * until it resolves (the engine writes from its queue). `durable: false` skips the flushes (the
 * property tests, which write hundreds of files on a busy disk).
 */
export async function writeProfileSnapshot(dir: string, meta: ProfileSnapshotMeta, image: FactStoreImage, factsHeld: number, opts: { durable?: boolean } = {}): Promise<{ file: string; bytes: number }> {
  const durable = opts.durable ?? true;
  await mkdir(dir, { recursive: true });
  const file = profileSnapshotFile(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  const strings = Buffer.from(JSON.stringify(image.strings), 'utf8');
  const sources = Buffer.from(JSON.stringify(image.sources), 'utf8');
  const wide = Buffer.from(JSON.stringify(image.wide), 'utf8');
  const n = image.sources.length;
  const body = image.pages.length * PAGE_BYTES + n * 4 + n * 8 + strings.length + sources.length + wide.length;
  const h: Header = { format: PROFILE_SNAPSHOT_FORMAT, endian: endianness(), ...meta, pages: image.pages.length, page: image.page, at: image.at, sources: n, count: image.count, factsHeld, jsonBytes: { strings: strings.length, sources: sources.length, wide: wide.length } };
  const header = Buffer.from(JSON.stringify(h), 'utf8');
  const fileBytes = expectedBytes(header.length, h);
  if (fileBytes !== MAGIC.length + 4 + header.length + body + 4 + END.length) throw new Error('profiles snapshot: layout does not add up');

  const fh = await open(tmp, 'w', 0o600);
  let crc = 0;
  let written = 0;
  const put = async (bufs: Uint8Array[]) => {
    for (const b of bufs) crc = crcOn(b, crc);
    const { bytesWritten } = await fh.writev(bufs);
    const want = bufs.reduce((s, b) => s + b.byteLength, 0);
    if (bytesWritten !== want) throw new Error('profiles snapshot: short write');
    written += want;
  };
  const bytesOf = (a: Int32Array | Uint32Array | Buffer): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  try {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    await put([MAGIC, len, header].map(bytesOf));
    for (let i = 0; i < image.pages.length; i += PAGES_PER_WRITE) await put(image.pages.slice(i, i + PAGES_PER_WRITE).map(bytesOf));
    await put([image.heads, image.seen, strings, sources, wide].map(bytesOf));
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc >>> 0);
    await fh.writev([tail, END].map(bytesOf));
    written += tail.length + END.length;
    if (written !== fileBytes) throw new Error(`profiles snapshot: wrote ${written} bytes, meant ${fileBytes}`);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  // The rename itself is durable only once the directory is.
  if (durable) {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  }
  return { file, bytes: fileBytes };
}

/**
 * Reads a snapshot file: the header first, which `check` may refuse (another hub, a database made
 * anew: its answer is the reason), then the pages straight into the store's arrays, the checksum
 * over all of it. A file that is cut short, altered, of another format or byte order is refused
 * with the reason; nothing is thrown for a bad file.
 */
export async function readProfileSnapshot(file: string, check: (meta: ProfileSnapshotMeta) => Promise<string | undefined> | string | undefined): Promise<SnapshotRead> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { ok: false, why: 'no snapshot file' };
  }
  const fh = await open(file, 'r');
  try {
    let pos = 0;
    let crc = 0;
    const read = async (to: Uint8Array | Buffer): Promise<boolean> => {
      const into = new Uint8Array(to.buffer, to.byteOffset, to.byteLength);
      let got = 0;
      while (got < into.byteLength) {
        const { bytesRead } = await fh.read(into, got, into.byteLength - got, pos + got);
        if (bytesRead === 0) return false;
        got += bytesRead;
      }
      pos += got;
      crc = crcOn(into, crc);
      return true;
    };
    const start = Buffer.alloc(MAGIC.length + 4);
    if (!(await read(start)) || !start.subarray(0, MAGIC.length).equals(MAGIC)) return { ok: false, why: 'not a profiles snapshot' };
    const headerLength = start.readUInt32LE(MAGIC.length);
    if (headerLength > MAX_HEADER) return { ok: false, why: 'header too long' };
    const hb = Buffer.alloc(headerLength);
    if (!(await read(hb))) return { ok: false, why: `cut short: ${size} bytes` };
    let h: Header;
    try {
      h = JSON.parse(hb.toString('utf8')) as Header;
    } catch {
      return { ok: false, why: 'header is not JSON' };
    }
    if (h.format !== PROFILE_SNAPSHOT_FORMAT) return { ok: false, why: `format ${String(h.format)}, this hub reads ${PROFILE_SNAPSHOT_FORMAT}` };
    if (h.endian !== endianness()) return { ok: false, why: `byte order ${String(h.endian)}, this machine ${endianness()}` };
    const want = expectedBytes(headerLength, h);
    if (want !== size) return { ok: false, why: `${size} bytes where the header says ${want} (cut short or grown)` };
    const meta: ProfileSnapshotMeta = { hubId: h.hubId, timeZone: h.timeZone, seqs: h.seqs, markers: h.markers, writtenAt: h.writtenAt, after: h.after };
    const refused = await check(meta);
    if (refused) return { ok: false, why: refused };

    const pages: Int32Array[] = [];
    for (let i = 0; i < h.pages; i++) {
      const p = new Int32Array(FACT_PAGE_WORDS);
      if (!(await read(new Uint8Array(p.buffer)))) return { ok: false, why: 'cut short in the pages' };
      pages.push(p);
    }
    const heads = new Uint32Array(h.sources);
    const seen = new Uint32Array(2 * h.sources);
    if (!(await read(new Uint8Array(heads.buffer))) || !(await read(new Uint8Array(seen.buffer)))) return { ok: false, why: 'cut short in the heads' };
    const json = async <T>(bytes: number): Promise<T | undefined> => {
      const b = Buffer.alloc(bytes);
      return (await read(b)) ? (JSON.parse(b.toString('utf8')) as T) : undefined;
    };
    let strings: string[] | undefined, sources: string[] | undefined, wide: [number, SourceFacts][] | undefined;
    try {
      strings = await json<string[]>(h.jsonBytes.strings);
      sources = await json<string[]>(h.jsonBytes.sources);
      wide = await json<[number, SourceFacts][]>(h.jsonBytes.wide);
    } catch {
      return { ok: false, why: 'a table is not JSON' };
    }
    if (!strings || !sources || !wide) return { ok: false, why: 'cut short in the tables' };
    const sum = crc >>> 0;
    const tail = Buffer.alloc(4 + END.length);
    const { bytesRead } = await fh.read(new Uint8Array(tail.buffer, tail.byteOffset, tail.length), 0, tail.length, pos);
    if (bytesRead !== tail.length || !tail.subarray(4).equals(END)) return { ok: false, why: 'no end mark' };
    if (tail.readUInt32LE(0) !== sum) return { ok: false, why: 'checksum does not match (the file was altered or damaged)' };
    if (sources.length !== h.sources) return { ok: false, why: 'source count does not match' };
    try {
      const facts = FactStore.fromImage({ pages, page: h.page, at: h.at, sources, heads, seen, wide, strings, count: h.count });
      return { ok: true, meta, facts, factsHeld: h.factsHeld, bytes: size };
    } catch (err) {
      return { ok: false, why: `does not hold together: ${(err as Error).message}` };
    }
  } catch (err) {
    return { ok: false, why: `unreadable: ${String(err)}` };
  } finally {
    await fh.close();
  }
}
