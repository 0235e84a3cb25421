import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSnapshot, encodeSnapshot, snapshotBody, SnapshotRefused, type SnapshotArray } from '../../shared/one-id/snapshot-codec.ts';

/*
 * One-ID's snapshot on disk (decision 030): `<hub dir>/snapshots/one-id-state.snap`, written
 * whole to a temporary file, fsynced, renamed over the last one and the directory fsynced, so a
 * crash leaves the old snapshot or the new one, never half of one. The profile engine keeps its
 * own `profiles-*.snap` in the same directory; neither touches the other's files.
 *
 * The hub writes it a slice at a time (writeSnapshotSliced, decision 032): the arrays are the
 * resolver's own (a copy would be another 3.5 GB at 15M records), each slice is copied into one
 * small buffer, hashed and written while the event loop serves requests, and the write is given
 * up when the state changes between two slices. The synchronous writeSnapshotFile is for
 * benchmarks and tests.
 */

export const SNAPSHOT_NAME = 'one-id-state.snap';

export function snapshotPath(dir: string): string {
  return join(dir, SNAPSHOT_NAME);
}

/** Bytes copied, hashed and written per slice: about 10 ms of the event loop's time at a time. */
export const SNAPSHOT_SLICE_BYTES = 8 << 20;

let writes = 0;

/**
 * Writes the snapshot atomically, `sliceBytes` at a time, each slice's write awaited (the event
 * loop runs between slices). Before each slice `unchanged()` is asked: false gives the write up
 * (the temporary file removed, the last snapshot left as it was) and answers `{ abandoned }`.
 */
export async function writeSnapshotSliced(
  dir: string,
  meta: unknown,
  arrays: ReadonlyMap<string, SnapshotArray>,
  unchanged: () => boolean,
  sliceBytes = SNAPSHOT_SLICE_BYTES,
): Promise<{ bytes: number; slices: number } | { abandoned: true; slices: number }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const final = snapshotPath(dir);
  const temp = `${final}.tmp-${process.pid}-${++writes}`;
  const file = await open(temp, 'w', 0o600);
  const hash = createHash('sha256');
  const buffer = new Uint8Array(sliceBytes);
  let bytes = 0;
  let slices = 0;
  let done = false;
  try {
    for (const chunk of snapshotBody(meta, arrays)) {
      for (let off = 0; off < chunk.length; off += sliceBytes) {
        if (!unchanged()) return { abandoned: true, slices };
        // A copy, not the array's own bytes: the write runs on another thread while this one may change them.
        const slice = buffer.subarray(0, Math.min(sliceBytes, chunk.length - off));
        slice.set(chunk.subarray(off, off + slice.length));
        hash.update(slice);
        await writeAll(file, slice);
        bytes += slice.length;
        slices++;
      }
    }
    if (!unchanged()) return { abandoned: true, slices };
    const sum = new Uint8Array(hash.digest());
    await writeAll(file, sum);
    bytes += sum.length;
    await file.sync();
    done = true;
  } finally {
    await file.close();
    if (!done) await rm(temp, { force: true });
  }
  publish(temp, final, dir);
  return { bytes, slices };
}

/** The written file takes the snapshot's name, the rename made durable with its directory. */
function publish(temp: string, final: string, dir: string): void {
  renameSync(temp, final);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

async function writeAll(file: import('node:fs/promises').FileHandle, data: Uint8Array) {
  for (let off = 0; off < data.length; ) off += (await file.write(data, off, data.length - off)).bytesWritten;
}

/** Writes the snapshot atomically in one go, blocking; answers its size in bytes. */
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
  publish(temp, final, dir);
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
