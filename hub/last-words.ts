import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Log } from '../shared/cli/log.ts';
import { memoryAlarms, previousRunNote, type Alarms, type ArrayParts, type HubStatus, type MemorySample } from '../shared/cli/hub-status.ts';

/**
 * A hub that dies says why (decision 028). What it can say itself, it logs as its last line and
 * keeps in DIR/hub-status.json: an error nothing caught, a database that keeps dying, the signal
 * that stopped it. What it cannot (SIGKILL from the kernel's OOM killer, V8 aborting at its heap
 * limit), the breadcrumb written every few seconds tells the next start: its memory, the
 * machine's, and the long job it was doing. It warns, once per crossing, when its heap nears
 * V8's limit or the machine runs out of memory.
 */
export interface LastWords {
  /** From the hub's start on: its database child's memory and its long jobs go into the breadcrumb. */
  follow(what: Followed): void;
  /** The hub's last line (with the error's stack), kept in the status file; then the process exits with `code`. */
  die(msg: string, err: unknown, code: number): never;
  /** A clean stop: said in the log and in the status file. */
  stopped(reason: string): void;
  /** The status file (for the log and the docs). */
  readonly file: string;
}

/** What the breadcrumb follows of a running hub: its database child, its long jobs, its typed arrays (in bytes). */
export interface Followed {
  couchPid: () => number | undefined;
  doing: () => string[];
  arrays?: () => ArrayParts;
}

export const STATUS_FILE = 'hub-status.json';
/** Exit codes: an error nothing caught (EX_SOFTWARE), a database that cannot stay up (EX_UNAVAILABLE). */
export const EXIT_UNCAUGHT = 70;
export const EXIT_DATABASE = 69;

const mb = (bytes: number) => Math.round(bytes / 1048576);

/** `everyMs`: how often the status file is rewritten (`hub serve --status-interval`, 2 s by default). */
export function startLastWords(dir: string, log: Log, opts: { everyMs: number }): LastWords {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, STATUS_FILE);
  const couchDir = join(dir, 'couch');
  const note = previousRunNote(readStatus(file));
  if (note) log[note.level](note.msg, { ...note.fields, file });

  let follow: Followed = { couchPid: () => undefined, doing: () => [] };
  let raised: Alarms = { heap: false, machine: false };
  let ended = false;
  const status: HubStatus = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    seenAt: new Date().toISOString(),
    state: 'running',
    memory: sample(undefined, couchDir),
    peak: { rssMb: 0, heapUsedMb: 0 },
    doing: [],
  };

  const doing = () => {
    try {
      return follow.doing();
    } catch {
      return [];
    }
  };
  const arrays = (): { arraysMb?: ArrayParts } => {
    try {
      const parts = follow.arrays?.();
      return parts ? { arraysMb: Object.fromEntries(Object.entries(parts).map(([part, bytes]) => [part, mb(bytes)])) as unknown as ArrayParts } : {};
    } catch {
      return {};
    }
  };
  const refresh = () => {
    status.seenAt = new Date().toISOString();
    status.memory = { ...sample(follow.couchPid(), couchDir), ...arrays() };
    status.doing = doing();
    const m = status.memory;
    status.peak = {
      rssMb: Math.max(status.peak.rssMb, m.rssMb),
      heapUsedMb: Math.max(status.peak.heapUsedMb, m.heapUsedMb),
      ...(m.couchRssMb !== undefined || status.peak.couchRssMb !== undefined ? { couchRssMb: Math.max(status.peak.couchRssMb ?? 0, m.couchRssMb ?? 0) } : {}),
    };
  };
  // Synchronous: the breadcrumb must be whole whenever the process ends, and it is small.
  const write = () => {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(status, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      log.warn('hub status file not written', { file, err: String(err) });
    }
  };
  const tick = () => {
    if (ended) return;
    refresh();
    const alarms = memoryAlarms(status.memory, raised);
    raised = alarms.raised;
    const m = status.memory;
    if (alarms.say.includes('heap')) {
      log.error("the hub's heap is nearly full: V8 ends the process when it is", { heapUsedMb: m.heapUsedMb, heapLimitMb: m.heapLimitMb, rssMb: m.rssMb, doing: status.doing, hint: 'raise --max-old-space-size (NODE_OPTIONS) if the machine has the memory' });
    }
    if (alarms.say.includes('machine')) {
      log.error("the machine is nearly out of memory: the kernel's OOM killer ends the largest process without a word", { machineAvailableMb: m.machineAvailableMb, machineTotalMb: m.machineTotalMb, rssMb: m.rssMb, couchRssMb: m.couchRssMb, doing: status.doing });
    }
    write();
  };
  tick();
  const timer = setInterval(tick, opts.everyMs);
  timer.unref();

  const die = (msg: string, err: unknown, code: number): never => {
    if (!ended) {
      ended = true;
      clearInterval(timer);
      const reason = String((err as Error)?.stack ?? err);
      refresh();
      log.fatal(msg, { err: reason, exitCode: code, doing: status.doing, rssMb: status.memory.rssMb, heapUsedMb: status.memory.heapUsedMb, file });
      Object.assign(status, { state: 'died', endedAt: new Date().toISOString(), reason: `${msg}: ${reason.split('\n')[0]}` });
      write();
    }
    process.exit(code);
  };
  process.on('uncaughtException', (err) => die('uncaught exception: the hub exits', err, EXIT_UNCAUGHT));
  process.on('unhandledRejection', (err) => die('unhandled promise rejection: the hub exits', err, EXIT_UNCAUGHT));

  return {
    file,
    follow(what) {
      follow = what;
      tick();
    },
    die,
    stopped(reason) {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      refresh();
      Object.assign(status, { state: 'stopped', endedAt: new Date().toISOString(), reason });
      write();
    },
  };
}

function readStatus(file: string): HubStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HubStatus;
  } catch {
    return undefined; // first start, or a file cut short (the rename makes that rare)
  }
}

function sample(couchPid: number | undefined, couchDir: string): MemorySample {
  const heap = getHeapStatistics();
  const machine = meminfo();
  const couch = couchPid === undefined ? undefined : vmRssMb(couchPid);
  const usage = process.memoryUsage();
  return {
    rssMb: mb(usage.rss),
    heapUsedMb: mb(heap.used_heap_size),
    heapCommittedMb: mb(heap.total_heap_size),
    arrayBuffersMb: mb(usage.arrayBuffers),
    heapLimitMb: mb(oldGenerationLimit(heap.heap_size_limit)),
    ...(couch !== undefined ? { couchRssMb: couch, ...couchHeap(couchDir) } : {}),
    ...machine,
  };
}

/** What the database child last wrote of its memory (DIR/couch/memory.json), if it is fresh: an older file is a child before a restart's. */
function couchHeap(couchDir: string): Pick<MemorySample, 'couchHeapUsedMb' | 'couchHeapCommittedMb' | 'couchExternalMb'> {
  try {
    const m = JSON.parse(readFileSync(join(couchDir, 'memory.json'), 'utf8')) as { at: string; heapUsedMb: number; heapTotalMb: number; externalMb: number };
    if (!(Date.now() - Date.parse(m.at) < 15_000)) return {};
    return { couchHeapUsedMb: m.heapUsedMb, couchHeapCommittedMb: m.heapTotalMb, couchExternalMb: m.externalMb };
  } catch {
    return {};
  }
}

/**
 * V8's heap_size_limit is the old generation's limit (--max-old-space-size) plus the young
 * generation's (three 16 MB semi-spaces by default); V8 dies when the old generation is full, so
 * that is what the heap is measured against (with a small heap, 48 MB is a third of the figure).
 */
function oldGenerationLimit(heapSizeLimit: number): number {
  return Math.max(heapSizeLimit / 2, heapSizeLimit - 48 * 1048576);
}

/** MemAvailable and MemTotal from /proc/meminfo (Linux); nothing elsewhere. */
function meminfo(): { machineAvailableMb?: number; machineTotalMb?: number } {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1]);
    const total = kb('MemTotal');
    const available = kb('MemAvailable');
    return Number.isFinite(total) && Number.isFinite(available) ? { machineAvailableMb: Math.round(available / 1024), machineTotalMb: Math.round(total / 1024) } : {};
  } catch {
    return {};
  }
}

function vmRssMb(pid: number): number | undefined {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}
