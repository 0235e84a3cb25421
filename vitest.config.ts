import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests start real processes; on two cores they need room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      // Pure logic: one process per worker for every file (no fresh process and module graph per
      // file), which halved these files' time; no unit test leaves state behind it.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // Real hubs, edges and browsers, from the bundles built once before any runs. Their state is
      // in the processes they start, not in the worker: one worker process runs file after file
      // (no fresh process and module graph per file).
      // Their hubs and stores hash passwords at the least cost (decision 043): some 600 hashes, a
      // minute of the two cores at the real one. One test starts a hub without it (hub-operators).
      {
        extends: true,
        test: { name: 'system', include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'], globalSetup: ['test/support/build-bundles.ts'], isolate: false, env: { MEMBEREDGE_PASSWORD_MIN_COST: '1' } },
      },
    ],
  },
});
