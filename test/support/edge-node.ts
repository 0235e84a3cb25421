import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addTerminal } from '../../edge/terminals.ts';

/** The project root, so tests run the real CLI whatever their working directory. */
export const ROOT = new URL('../..', import.meta.url).pathname;

export function tempDir(prefix = 'memberedge-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs an edge CLI command to completion; resolves with its output, rejects on a non-zero exit. */
export const edgeCli = (args: string[]) => runTool('edge', args);

/** Runs an edge or hub command from its bundle (`node dist/edge.mjs ...`, as on a store's box), to completion. */
export function runTool(tool: 'edge' | 'hub', args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tool === 'edge' ? EDGE_BUNDLE : HUB_BUNDLE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}

export async function edgeCliOk(args: string[]): Promise<string> {
  const r = await edgeCli(args);
  if (r.code !== 0) throw new Error(`edge ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export const lastLine = (out: string) => out.trim().split('\n').pop()!.trim();

/** A fresh node data dir with a terminal; returns the dir and the terminal's token. */
export async function provisionNode(opts: { storeId?: string; members?: number; terminalId?: string } = {}) {
  const dir = tempDir();
  await edgeCliOk(['init', '--store', opts.storeId ?? 'S001', '--data', dir]);
  const token = await addFirstTerminal(dir, opts.terminalId);
  if (opts.members) await edgeCliOk(['seed', '--data', dir, '--members', String(opts.members)]);
  return { dir, token };
}

/**
 * Adds a terminal to a node's data dir for a test's setup, with the code `edge terminal add` runs,
 * in the test's own process: a CLI process per store cost ~1.7 s on the loaded suite, 80 times
 * (decision 038, amended). The command itself is tested where a test runs it (edge-api, edge-serve-cli).
 */
export const addFirstTerminal = (dir: string, id = 'T1'): Promise<string> => addTerminal(dir, id, new Date());

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait: the service saves what it keeps and closes its database. */
  stop(): Promise<void>;
  /** SIGKILL: no chance to save anything. */
  kill(): Promise<void>;
}
export type EdgeProcess = ServiceProcess;

/** Spawns a service and waits for its "ready at <url>" line. */
export function spawnReady(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<ServiceProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const onData = (d: Buffer) => {
      out += d;
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      resolve({
        url: m[1]!,
        child,
        output: () => out,
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code} before ready:\n${out}`)));
  });
}

/**
 * The built edge (`npm run build`), as a store runs it: plain node, no TypeScript loader. The
 * tests build it once before any runs (test/support/build-bundles.ts) and run every edge from it.
 */
export const EDGE_BUNDLE = join(ROOT, 'dist', 'edge.mjs');
/** The hub built the same way: `npm run hub` runs the same code from the sources, its start taking five times the CPU. */
export const HUB_BUNDLE = join(ROOT, 'dist', 'hub.mjs');

/**
 * The node flags and environment a store runs the bundle with, read from the systemd unit so
 * that the benchmark measures exactly that: `node <flags> dist/edge.mjs serve` and the unit's
 * `Environment=` lines other than the node's own options (EDGE_*), which tests give as arguments.
 */
export function storeRuntime(unitFile = join(ROOT, 'deploy', 'memberedge-edge.service')): { nodeFlags: string[]; env: Record<string, string> } {
  const unit = readFileSync(unitFile, 'utf8');
  const exec = /^ExecStart=\S+\s+(.*?)\s*dist\/edge\.mjs serve\s*$/m.exec(unit);
  if (!exec) throw new Error(`${unitFile}: no 'ExecStart=<node> [flags] dist/edge.mjs serve' line`);
  const env: Record<string, string> = {};
  for (const [, name, value] of unit.matchAll(/^Environment=(\w+)=(.*)$/gm)) if (!name!.startsWith('EDGE_')) env[name!] = value!.trim();
  return { nodeFlags: exec[1]!.split(/\s+/).filter(Boolean), env };
}

/**
 * Starts `edge serve` as a store runs it (the bundle, with the flags and environment of the
 * store's systemd unit: see storeRuntime) on a free loopback port, and waits for its ready line.
 * `env` is added to the unit's (a moved clock, for one).
 */
export function startEdge(dir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<EdgeProcess> {
  const runtime = storeRuntime();
  return spawnReady([...runtime.nodeFlags, EDGE_BUNDLE, 'serve', '--data', dir, '--port', '0', '--quiet', ...extra], { ...runtime.env, ...env });
}

/** A small JSON client for one terminal. */
export function client(url: string, token: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
  };
}
