// Loaded into a hub under test (`node --import tsx --import <this> hub/cli.ts serve …`): a signal
// makes the error a bug would, with nothing in the hub's code there for tests. SIGUSR2: an
// exception nobody catches; SIGWINCH: a promise rejection nobody handles.
process.on('SIGUSR2', () => {
  setTimeout(() => {
    throw new Error('a fault injected by the test (uncaught)');
  });
});
process.on('SIGWINCH', () => {
  void Promise.reject(new Error('a fault injected by the test (unhandled rejection)'));
});
