import { rename, writeFile } from 'node:fs/promises';

/** Writes a file so that a crash leaves either the old or the new content, never half of one. */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}
