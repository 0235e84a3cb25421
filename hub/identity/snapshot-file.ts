import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSnapshot, encodeSnapshot, SnapshotRefused, type SnapshotArray } from '../../shared/one-id/snapshot-codec.ts';

/*
 * One-ID's snapshot on disk (decision 030): `<hub dir>/snapshots/one-id-state.snap`, written
 * whole to a temporary file, fsynced, renamed over the last one and the directory fsynced, so a
 * crash leaves the old snapshot or the new one, never half of one. The profile engine keeps its
 * own `profiles-*.snap` in the same directory; neither touches the other's files.
 *
 * Writing is synchronous on purpose: the arrays written are the resolver's own (no copy of a
 * gigabyte at 15M records), and nothing may change them until the last byte is out.
 */

export const SNAPSHOT_NAME = 'one-id-state.snap';

export function snapshotPath(dir: string): string {
  return join(dir, SNAPSHOT_NAME);
}

/** Writes the snapshot atomically; answers its size in bytes. */
export function writeSnapshotFile(dir: string, meta: unknown, arrays: ReadonlyMap<string, SnapshotArray>): number {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const final = snapshotPath(dir);
  const temp = `${final}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w', 0o600);
  let bytes = 0;
  try {
    for (const chunk of encodeSnapshot(meta, arrays)) {
      // One write() moves at most 2 GB; a pool of keys at 15M records is some 500 MB, but be sure.
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, Math.min(chunk.length - off, 1 << 28));
      bytes += chunk.length;
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, final);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
  return bytes;
}

/**
 * The snapshot read back, or why not (no file, or SnapshotRefused's reason). `room` gives
 * arrays that will grow some space after their data.
 */
export function readSnapshotFile(dir: string, room?: (name: string, length: number) => number): { meta: unknown; arrays: Map<string, SnapshotArray>; bytes: number } | { refused: string } {
  let fd: number;
  try {
    fd = openSync(snapshotPath(dir), 'r');
  } catch (err) {
    return { refused: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no snapshot' : `unreadable: ${String(err)}` };
  }
  try {
    const size = fstatSync(fd).size;
    const read = (into: Uint8Array, position: number) => {
      for (let off = 0; off < into.length; ) {
        const n = readSync(fd, into, off, into.length - off, position + off);
        if (n === 0) throw new SnapshotRefused('cut short');
        off += n;
      }
    };
    return { ...decodeSnapshot(read, size, room), bytes: size };
  } catch (err) {
    if (err instanceof SnapshotRefused) return { refused: err.message };
    return { refused: `unreadable: ${String(err)}` };
  } finally {
    closeSync(fd);
  }
}
