/** Runs `fn` at most once per `ms`, the last call within a window running at its end; `flush` runs a pending one now. */
export function throttle(ms: number, fn: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  let lastAt = 0;
  let running: Promise<unknown> = Promise.resolve();
  const fire = () => {
    timer = undefined;
    lastAt = Date.now();
    running = running.then(fn);
  };
  return {
    call: () => {
      if (timer) return;
      const wait = Math.max(0, lastAt + ms - Date.now());
      timer = setTimeout(fire, wait);
      timer.unref();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        fire();
      }
      await running;
    },
  };
}
