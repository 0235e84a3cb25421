import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes a file so that a crash leaves either the old or the new content, never half of one.
 * Two writes of one file may overlap in one process (the heartbeat and the status file's
 * throttle): each has a temporary file of its own, and the last rename wins.
 */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}
