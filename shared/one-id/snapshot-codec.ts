import { createHash } from 'node:crypto';

/*
 * The byte layout of One-ID's snapshot (issue 14, decision 030): typed arrays as they are in
 * memory, so 15 million records are written and read at disk speed, with no parsing per record.
 *
 *   "ONEIDSNP"  u32 format version  u32 header length  header (JSON: meta, sections)
 *   each section's bytes, padded to 8
 *   SHA-256 of everything before it (32 bytes)
 *
 * Reading checks the magic, the version, that every section fits, and the checksum; any failure
 * throws a SnapshotRefused, and the caller loads everything from the database instead.
 */

export const SNAPSHOT_MAGIC = 'ONEIDSNP';
export const SNAPSHOT_FORMAT = 2;

export type SnapshotArray = Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;
const TYPES = { u8: Uint8Array, u16: Uint16Array, i32: Int32Array, u32: Uint32Array, f64: Float64Array } as const;
type TypeCode = keyof typeof TYPES;

interface SectionHead {
  name: string;
  type: TypeCode;
  length: number;
}

export class SnapshotRefused extends Error {}

function typeOf(a: SnapshotArray): TypeCode {
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint16Array) return 'u16';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  return 'f64';
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;
const ZEROS = new Uint8Array(8);

const bytesOf = (a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The snapshot as a list of byte chunks to write in order (the arrays themselves, not copies:
 * write them before anything changes them). The last chunk is the checksum.
 */
export function encodeSnapshot(meta: unknown, arrays: ReadonlyMap<string, SnapshotArray>): Uint8Array[] {
  const chunks = snapshotBody(meta, arrays);
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  chunks.push(bytesOf(hash.digest()));
  return chunks;
}

/**
 * The snapshot without its checksum, as byte chunks (views of the arrays): for a writer that
 * hashes as it writes, a slice at a time, and appends the SHA-256 of all of them.
 */
export function snapshotBody(meta: unknown, arrays: ReadonlyMap<string, SnapshotArray>): Uint8Array[] {
  const sections: SectionHead[] = [...arrays].map(([name, a]) => ({ name, type: typeOf(a), length: a.length }));
  const header = Buffer.from(JSON.stringify({ meta, sections }), 'utf8');
  const fixed = Buffer.alloc(16);
  fixed.write(SNAPSHOT_MAGIC, 0, 'latin1');
  fixed.writeUInt32LE(SNAPSHOT_FORMAT, 8);
  fixed.writeUInt32LE(header.length, 12);
  const chunks: Uint8Array[] = [bytesOf(fixed), bytesOf(header), ZEROS.subarray(0, pad8(16 + header.length))];
  for (const a of arrays.values()) chunks.push(bytesOf(a), ZEROS.subarray(0, pad8(a.byteLength)));
  return chunks.filter((c) => c.length > 0);
}

/** Reads `length` bytes at `position` into `into` (a file, a buffer). */
export type ReadAt = (into: Uint8Array, position: number) => void;

/**
 * A snapshot read back: its meta and its arrays (each a fresh array with `room` extra elements
 * after the data). Throws SnapshotRefused for a file that is not one, of another format
 * version, cut short, or whose checksum does not match.
 */
export function decodeSnapshot(readAt: ReadAt, size: number, room: (name: string, length: number) => number = () => 0): { meta: unknown; arrays: Map<string, SnapshotArray> } {
  if (size < 16 + 32) throw new SnapshotRefused('too short to be a snapshot');
  const hash = createHash('sha256');
  const fixed = new Uint8Array(16);
  readAt(fixed, 0);
  const head = Buffer.from(fixed.buffer, fixed.byteOffset, 16);
  if (head.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotRefused('not a One-ID snapshot');
  const version = head.readUInt32LE(8);
  if (version !== SNAPSHOT_FORMAT) throw new SnapshotRefused(`format version ${version}, this hub reads ${SNAPSHOT_FORMAT}`);
  const headerLength = head.readUInt32LE(12);
  let pos = 16;
  if (pos + headerLength + 32 > size) throw new SnapshotRefused('cut short in its header');
  const headerBytes = new Uint8Array(headerLength);
  readAt(headerBytes, pos);
  hash.update(fixed).update(headerBytes);
  pos += headerLength;
  let parsed: { meta: unknown; sections: SectionHead[] };
  try {
    parsed = JSON.parse(Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerLength).toString('utf8'));
  } catch {
    throw new SnapshotRefused('its header is not readable');
  }
  if (!Array.isArray(parsed?.sections)) throw new SnapshotRefused('its header lists no sections');
  const skip = (n: number) => {
    if (n === 0) return;
    const z = new Uint8Array(n);
    readAt(z, pos);
    hash.update(z);
    pos += n;
  };
  skip(pad8(pos));
  const arrays = new Map<string, SnapshotArray>();
  for (const s of parsed.sections) {
    const Type = TYPES[s.type];
    if (!Type || !Number.isSafeInteger(s.length) || s.length < 0) throw new SnapshotRefused(`section ${s.name} is malformed`);
    const byteLength = s.length * Type.BYTES_PER_ELEMENT;
    if (pos + byteLength + 32 > size) throw new SnapshotRefused(`cut short in section ${s.name}`);
    const a = new Type(s.length + Math.max(0, room(s.name, s.length)));
    const bytes = new Uint8Array(a.buffer, 0, byteLength);
    // Large sections are read in parts: one read() is limited to 2 GB.
    for (let off = 0; off < byteLength; off += 1 << 28) readAt(bytes.subarray(off, Math.min(byteLength, off + (1 << 28))), pos + off);
    hash.update(bytes);
    pos += byteLength;
    skip(pad8(byteLength));
    arrays.set(s.name, a);
  }
  if (pos + 32 !== size) throw new SnapshotRefused('its length does not match its sections');
  const sum = new Uint8Array(32);
  readAt(sum, pos);
  if (!Buffer.from(sum).equals(hash.digest())) throw new SnapshotRefused('its checksum does not match');
  return { meta: parsed.meta, arrays };
}

/** decodeSnapshot over bytes in memory (tests, small snapshots). */
export function decodeSnapshotBytes(bytes: Uint8Array | Buffer, room?: (name: string, length: number) => number) {
  return decodeSnapshot(
    (into, position) => {
      if (position + into.length > bytes.length) throw new SnapshotRefused('cut short');
      into.set(bytes.subarray(position, position + into.length));
    },
    bytes.length,
    room,
  );
}
