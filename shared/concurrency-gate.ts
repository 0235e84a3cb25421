/**
 * Runs at most `limit` tasks at once; the others wait in order. For work that holds much memory
 * while it runs (a password hash holds 32 MiB), so a burst of requests queues instead of
 * exhausting the process.
 *
 * @example const gate = new ConcurrencyGate(4); await gate.run(() => hashPassword(p));
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes to the next task, still counted
      else this.running--;
    }
  }
}
