import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from '../project-root.ts';
import type { ImportOptions, ImportSummary } from './pipeline.ts';
import type { FromWorker } from './import-worker.ts';

/**
 * The worker as the hub runs: a hub from its bundle (dist/hub.mjs) starts the worker's bundle,
 * built beside it; a hub from the sources (`npm run hub`) starts the sources through tsx, which
 * took 0.9 s of CPU for each import (decision 040). Named from the project's directory, which the
 * bundle does not move.
 */
const WORKER = import.meta.url.endsWith('.mjs')
  ? { file: join(PROJECT_ROOT, 'dist', 'import-worker.mjs'), entry: undefined }
  : { file: join(PROJECT_ROOT, 'hub', 'import', 'worker-boot.mjs'), entry: pathToFileURL(join(PROJECT_ROOT, 'hub', 'import', 'import-worker.ts')).href };

/** Batches read ahead of the one being stored. */
const AHEAD = 3;

/**
 * `importFile` on a worker thread (decision 037): reading, mapping, cleaning and the duplicate
 * hashes were half of the hub thread's work in an import, beside linking and storing. The
 * batches come back in file order, and `onBatch` is called for one at a time as before, so the
 * checkpoints mean what they meant; a batch `onBatch` refuses ends the worker and the import.
 */
export function importFileInThread(opts: Omit<ImportOptions, 'progress'>): Promise<ImportSummary> {
  const { onBatch, ...options } = opts;
  const worker = new Worker(WORKER.file, { workerData: { entry: WORKER.entry, options: { ...options, ahead: AHEAD } } });
  return new Promise<ImportSummary>((resolve, reject) => {
    let storing = Promise.resolve();
    let ended = false;
    const end = (err: Error | undefined, summary?: ImportSummary) => {
      if (ended) return;
      ended = true;
      if (err) void worker.terminate();
      if (err) reject(err);
      else resolve(summary!);
    };
    worker.on('message', (m: FromWorker) => {
      if ('batch' in m) {
        storing = storing
          .then(() => (ended ? undefined : onBatch(...m.batch)))
          .then(
            () => worker.postMessage('stored'),
            (err: Error) => end(err),
          );
      } else if ('done' in m) {
        void storing.then(() => end(undefined, m.done));
      } else {
        void storing.then(() => end(new Error(m.failed)));
      }
    });
    worker.on('error', (err) => end(err));
    worker.on('exit', (code) => void storing.then(() => end(new Error(`the import's thread stopped (exit code ${code})`))));
  });
}
