import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../shared/cli/args.ts';
import type { ImportProgress } from './import-jobs.ts';

export const IDENTITY_USAGE = `  import SOURCE FILE [SOURCE FILE ...] [--mapping MAPPING.json]
                                                      import channel exports (CSV or NDJSON) into One-ID;
                                                      SOURCE names a mapping in deploy/mappings (crm, ecom,
                                                      wechat, tmall, jd, tmall-orders); FILE is read by the hub
  identity metrics                                    identification rate, duplicates removed, completeness
  identity member ID                                  a golden member: identities, source records, merges
  identity record RECORD_ID                           the golden member holding a source record
  identity split ID --records R1,R2[,...]             undo a merge: these records become a member of their own
  identity quarantine [add KEY | release KEY]         keys too many records share (never used for linking)
  identity suggestions                                look-alike members that share no key
  identity suggestion accept|reject ID_A ID_B         an operator's answer to a suggestion`;

type Call = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

interface ImportView {
  id: string;
  state: 'running' | 'done' | 'failed';
  progress?: ImportProgress;
  summary?: Record<string, unknown>;
  error?: string;
}

/**
 * `import SOURCE FILE [SOURCE FILE ...]`: the hub reads the files (they must be on the hub's
 * machine: imports are large and resumable, so the hub keeps the checkpoints next to the data)
 * while this command shows progress. Files given together are resolved and stored once, after
 * the last. Running it again after a crash resumes; after success it changes nothing.
 */
export async function importCommand(call: Call, pairs: string[], mappingFile: string | undefined): Promise<void> {
  if (pairs.length < 2 || pairs.length % 2 !== 0) throw new UsageError('import needs SOURCE FILE (one or more pairs)');
  if (mappingFile && pairs.length > 2) throw new UsageError('--mapping goes with one SOURCE FILE');
  const mapping = mappingFile ? (JSON.parse(await readFile(mappingFile, 'utf8')) as unknown) : undefined;
  let jobs: ImportView[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const path = resolve(pairs[i + 1]!);
    await stat(path).catch(() => {
      throw new UsageError(`cannot read ${path}`);
    });
    const job = (await call('POST', '/imports', { source: pairs[i], path, ...(mapping ? { mapping } : {}) })).import as ImportView;
    if (job.state === 'done') console.error(`${pairs[i + 1]} was imported already (${job.id}); nothing changed. Its summary:`);
    jobs.push(job);
  }
  const tty = process.stderr.isTTY;
  let shown = '';
  let printedAt = 0;
  while (jobs.some((j) => j.state === 'running')) {
    const current = jobs.find((j) => j.state === 'running' && j.progress?.phase === 'reading') ?? jobs.find((j) => j.state === 'running')!;
    const p = current.progress;
    const label = `${current.id} ${p?.phase ?? 'queued'}`;
    if (label !== shown || tty || Date.now() - printedAt > 5000) {
      printedAt = Date.now();
      const detail = p?.phase === 'reading' ? `: ${p.rows} rows ${p.rowsPerSec} rows/s ${p.totalBytes > 0 ? ((100 * p.bytes) / p.totalBytes).toFixed(0) : 0}%${p.etaSec === undefined ? '' : ` eta ${p.etaSec} s`}` : '…';
      if (tty && label !== shown && shown) process.stderr.write('\n');
      process.stderr.write(tty ? `\r${label}${detail}\x1b[K` : `${label}${detail}\n`);
      shown = label;
    }
    await new Promise((r) => setTimeout(r, 500));
    jobs = await Promise.all(jobs.map(async (j) => (j.state === 'running' ? ((await call('GET', `/imports/${encodeURIComponent(j.id)}`)).import as ImportView) : j)));
  }
  if (tty && shown) process.stderr.write('\n');
  const failed = jobs.filter((j) => j.state === 'failed');
  if (failed.length) throw new Error(failed.map((j) => `import ${j.id} failed: ${j.error ?? 'unknown error'}`).join('; ') + '; run the same command again to resume');
  console.log(JSON.stringify(jobs.length === 1 ? jobs[0]!.summary : Object.fromEntries(jobs.map((j) => [j.id, j.summary])), null, 2));
}

export async function identityCommand(call: Call, args: string[], records: string | undefined): Promise<unknown> {
  const [what, a, b, c] = args;
  const id = (v: string | undefined, name: string) => encodeURIComponent(v ?? missing(name));
  switch (what) {
    case 'metrics':
      return (await call('GET', '/identity/metrics')).metrics;
    case 'record':
      return call('GET', `/identity/records/${id(a, 'RECORD_ID')}`);
    case 'member':
      return (await call('GET', `/identity/members/${id(a, 'ID')}`)).member;
    case 'split': {
      const list = (records ?? missing('--records')).split(',').map((r) => r.trim()).filter(Boolean);
      return call('POST', `/identity/members/${id(a, 'ID')}/split`, { records: list });
    }
    case 'quarantine':
      if (!a) return (await call('GET', '/identity/quarantine')).keys;
      if (a === 'add') return call('POST', '/identity/quarantine', { key: b ?? missing('KEY') });
      if (a === 'release') return call('DELETE', `/identity/quarantine/${id(b, 'KEY')}`);
      throw new UsageError(`identity quarantine ${a}: add or release`);
    case 'suggestions':
      return (await call('GET', '/identity/suggestions')).suggestions;
    case 'suggestion':
      if (a !== 'accept' && a !== 'reject') throw new UsageError('identity suggestion accept|reject ID_A ID_B');
      return call('POST', `/identity/suggestions/${a}`, { a: b ?? missing('ID_A'), b: c ?? missing('ID_B') });
    default:
      throw new UsageError(`unknown command 'identity ${args.join(' ')}'`);
  }
}

function missing(name: string): never {
  throw new UsageError(`${name} is required`);
}
