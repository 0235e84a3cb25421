import { parentPort, workerData } from 'node:worker_threads';
import { importFile, type ImportOptions } from './pipeline.ts';

/*
 * The worker side of importFileInThread (import-thread.ts): the file read, mapped, cleaned and
 * de-duplicated here, each batch posted to the hub's thread, which stores it. At most `ahead`
 * batches are posted and not yet stored: the file is read no faster than the database takes it.
 */

export type WorkerOptions = Omit<ImportOptions, 'onBatch' | 'progress'> & { ahead: number };
export type FromWorker = { batch: Parameters<ImportOptions['onBatch']> } | { done: Awaited<ReturnType<typeof importFile>> } | { failed: string };

const port = parentPort!;
const { ahead, ...opts } = workerData.options as WorkerOptions;
let posted = 0;
let stored = 0;
let wake: (() => void) | undefined;
port.on('message', () => {
  stored++;
  wake?.();
});

try {
  const summary = await importFile({
    ...opts,
    onBatch: async (...batch) => {
      port.postMessage({ batch } satisfies FromWorker);
      posted++;
      while (posted - stored >= ahead) await new Promise<void>((resolve) => (wake = resolve));
    },
  });
  port.postMessage({ done: summary } satisfies FromWorker);
} catch (err) {
  port.postMessage({ failed: String((err as Error)?.message ?? err) } satisfies FromWorker);
}
port.close();
