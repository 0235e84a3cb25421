import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * How a link behaves: `pass` forwards; `refuse` cuts every open connection and closes new ones at
 * once (a cable pulled, a firewall's RST); `blackhole` holds connections open and forwards
 * nothing (a dead route: the client only learns by its own timeouts).
 */
export type LinkMode = 'pass' | 'refuse' | 'blackhole';

export interface SlowLink {
  /** Added before each chunk is forwarded, each way. */
  latencyMs: number;
  /** Bytes per second each way, per connection; 0 = unlimited. */
  bytesPerSecond: number;
}

/**
 * A TCP proxy in front of one upstream port, for chaos tests: a store reaches the hub only
 * through its own proxy, so one store's link can fail while the others' work. Loopback only.
 */
export class FaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  private mode: LinkMode = 'pass';
  private slow: SlowLink | undefined;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get state(): { mode: LinkMode; slow?: SlowLink } {
    return { mode: this.mode, ...(this.slow ? { slow: this.slow } : {}) };
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Partition: open connections are cut (refuse) or frozen (blackhole); new ones get the same. */
  partition(how: 'refuse' | 'blackhole' = 'refuse'): void {
    this.mode = how;
    if (how === 'refuse') this.cutAll();
    else for (const p of this.pairs) p.upstream?.pause(), p.client.pause();
  }

  slowDown(slow: SlowLink): void {
    this.slow = slow;
  }

  /** Back to a clean link. Black-holed connections stay dead: their clients have given up on them. */
  heal(): void {
    if (this.mode === 'blackhole') this.cutAll();
    this.mode = 'pass';
    this.slow = undefined;
  }

  private cutAll(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: { client: Socket; upstream?: Socket } = { client };
    this.pairs.add(pair);
    client.once('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.upstreamPort });
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => client.destroy());
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards `from` to `to`, chunk by chunk in order, with the link's current delay and rate. */
  private pipe(from: Socket, to: Socket): void {
    let queue = Promise.resolve();
    from.on('data', (chunk: Uint8Array) => {
      if (this.mode !== 'pass') return; // dropped on the floor: a partitioned link carries nothing
      const slow = this.slow;
      if (!slow) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      from.pause();
      queue = queue.then(async () => {
        const wait = slow.latencyMs + (slow.bytesPerSecond > 0 ? (chunk.length / slow.bytesPerSecond) * 1000 : 0);
        await new Promise((r) => setTimeout(r, wait));
        if (!to.destroyed && this.mode === 'pass') to.write(chunk);
        if (!from.destroyed) from.resume();
      });
    });
    from.once('end', () => void queue.then(() => to.end()));
  }
}
