/*
 * The hub's breadcrumb (DIR/hub-status.json, written every few seconds by hub/last-words.ts):
 * enough about the last moments of a run that a death nobody could log (SIGKILL from the
 * kernel's OOM killer, V8 aborting at its heap limit) is explained at the next start. Pure:
 * what to say about a previous run, and when memory deserves a warning (decision 028).
 */

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  /** The old generation's limit (what V8 dies at), not heap_size_limit, which adds the young generation. */
  heapLimitMb: number;
  /**
   * What the RSS is made of beyond the heap's live objects: the heap V8 has reserved (used or
   * not: garbage not yet collected, room to grow), and ArrayBuffers' memory outside the heap (the
   * resolver's typed arrays, I/O buffers). RSS above heapCommitted + arrayBuffers is native
   * (malloc, code, stacks).
   */
  heapCommittedMb?: number;
  arrayBuffersMb?: number;
  /** Of arrayBuffers, what the hub's own typed arrays hold, part by part (room to grow included). */
  arraysMb?: ArrayParts;
  /** The embedded database child's RSS (absent: COUCH_URL, or it was restarting). */
  couchRssMb?: number;
  /** Of that, its heap (used / reserved) and memory outside it, as the child last wrote them (every 5 s). */
  couchHeapUsedMb?: number;
  couchHeapCommittedMb?: number;
  couchExternalMb?: number;
  /** The machine's MemAvailable and MemTotal (/proc/meminfo; absent where there is none). */
  machineAvailableMb?: number;
  machineTotalMb?: number;
}

/** The hub's typed arrays by owner: One-ID's resolver, the profile base's columns, facts and member ids, the tags last recorded. */
export interface ArrayParts {
  oneId: number;
  profileColumns: number;
  profileFacts: number;
  memberIds: number;
  tags: number;
}

export interface HubStatus {
  pid: number;
  startedAt: string;
  /** When this was written: the run was alive then. */
  seenAt: string;
  /** `running` until a clean stop (`stopped`) or a death the hub could still log (`died`). */
  state: 'running' | 'stopped' | 'died';
  memory: MemorySample;
  /** The highest figures of the run so far. */
  peak: { rssMb: number; heapUsedMb: number; couchRssMb?: number };
  /** The long jobs under way at `seenAt` (an import and its phase, One-ID loading). */
  doing: string[];
  endedAt?: string;
  /** What ended it: a signal for a clean stop, the error for a death. */
  reason?: string;
}

/** A warning is given when memory crosses these, and again only after it fell back below the rearm level. */
export const HEAP_WARN = 0.85;
const HEAP_REARM = 0.75;
export const MACHINE_WARN = 0.1;
const MACHINE_REARM = 0.15;

export interface Alarms {
  heap: boolean;
  machine: boolean;
}

/**
 * The memory warnings a sample calls for, given which are raised already. One warning per
 * crossing: a hub near its limit for an hour says so once, not every five seconds.
 *
 * @example
 * memoryAlarms({ rssMb: 900, heapUsedMb: 870, heapLimitMb: 1000 }, { heap: false, machine: false })
 * // → { raised: { heap: true, machine: false }, say: ['heap'] }
 */
export function memoryAlarms(m: MemorySample, raised: Alarms): { raised: Alarms; say: ('heap' | 'machine')[] } {
  const heap = m.heapUsedMb / m.heapLimitMb;
  const machine = m.machineAvailableMb !== undefined && m.machineTotalMb ? m.machineAvailableMb / m.machineTotalMb : 1;
  const next = {
    heap: raised.heap ? heap >= HEAP_REARM : heap >= HEAP_WARN,
    machine: raised.machine ? machine <= MACHINE_REARM : machine <= MACHINE_WARN,
  };
  const say: ('heap' | 'machine')[] = [];
  if (next.heap && !raised.heap) say.push('heap');
  if (next.machine && !raised.machine) say.push('machine');
  return { raised: next, say };
}

/** What the start of a run says about the one before, from its breadcrumb; undefined when there is nothing to say. */
export function previousRunNote(prev: HubStatus | undefined): { level: 'warn' | 'error'; msg: string; fields: Record<string, unknown> } | undefined {
  if (!prev || prev.state === 'stopped') return undefined;
  const m = prev.memory;
  const fields = {
    pid: prev.pid,
    startedAt: prev.startedAt,
    lastSeenAt: prev.seenAt,
    lastSeen: `RSS ${m.rssMb} MB, heap ${m.heapUsedMb} of ${m.heapLimitMb} MB${m.couchRssMb !== undefined ? `, database ${m.couchRssMb} MB${m.couchHeapUsedMb !== undefined ? ` (heap ${m.couchHeapUsedMb} MB)` : ''}` : ''}${m.machineAvailableMb !== undefined ? `, machine ${m.machineAvailableMb} of ${m.machineTotalMb} MB available` : ''}`,
    during: prev.doing.length > 0 ? prev.doing.join('; ') : 'nothing long (serving requests)',
    peak: prev.peak,
  };
  if (prev.state === 'died') return { level: 'warn', msg: `the previous run died at ${prev.endedAt ?? prev.seenAt}: ${prev.reason ?? 'no reason kept'}`, fields };
  return { level: 'error', msg: `the previous run ended without a clean stop, after ${prev.seenAt} (its last sign of life)`, fields: { ...fields, likelyCause: likelyCause(m) } };
}

/** The best guess at a silent death from the last figures seen; they are a few seconds old, so a guess. */
function likelyCause(m: MemorySample): string {
  // Samples are 2 s apart and V8 gives up before the heap is quite full: three quarters is telling.
  if (m.heapUsedMb / m.heapLimitMb >= HEAP_REARM) return "V8's heap limit: the hub's JavaScript heap was nearly full (V8 writes 'FATAL ERROR … JavaScript heap out of memory' on stderr and aborts); raise --max-old-space-size or hold less";
  if (m.machineAvailableMb !== undefined && m.machineTotalMb && m.machineAvailableMb / m.machineTotalMb <= MACHINE_REARM) {
    return "the machine was out of memory: the kernel's OOM killer ends the largest process with SIGKILL, which no process can log ('journalctl -k' or 'dmesg' says 'Out of memory: Killed process')";
  }
  return "killed with SIGKILL (an operator, the kernel's OOM killer after memory grew past the last sample, or the machine stopped); 'journalctl -k | grep -i oom' tells whether it was the kernel";
}
