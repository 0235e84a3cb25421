// A worker thread's entry: TypeScript through tsx's loader (a worker does not inherit the
// parent's), then the module named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
