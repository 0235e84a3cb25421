import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { importFile, type ImportSummary } from '../../hub/import/pipeline.ts';
import { writeChannelData, type ChannelData } from '../support/channel-data.ts';
import { removeDir, ROOT, spawnReady, tempDir, type ServiceProcess } from '../support/edge-node.ts';
import { adminClient, alive, couchPid, eventually, freePort, readStoredIdentity, startHub, type HubProcess } from '../support/hub.ts';

/*
 * Deaths say why (decision 028), with real processes: the database child killed mid-import (the
 * import finishes, the log and DIR/couch/stderr.log name the death), a database that cannot stay
 * up (the hub gives up, exit 69), an error nothing caught (a fatal line, exit 70), and a hub
 * killed with SIGKILL mid-import (the next start says how the last run ended, from its
 * breadcrumb, and finishes the import from its checkpoint without being asked).
 */

const FAULTS = join(ROOT, 'test', 'support', 'fault-on-signal.mjs');
const dirs: string[] = [];
const running: ServiceProcess[] = [];
let data: ChannelData;
/** What the import pipeline makes of the CRM file, run here without a hub: the counts to expect. */
let expected: ImportSummary;

beforeAll(async () => {
  const dataDir = tempDir('memberedge-channels-');
  dirs.push(dataDir);
  // The CRM file (~16,000 rows) takes an import about 4 s here: several of the breadcrumb's beats
  // at the 0.25 s the hubs below write it (hubIn), so a kill mid-import cannot miss it.
  data = await writeChannelData({ dir: dataDir, records: 60_000, seed: 28 });
  const mapping = (await loadMappings()).get('crm')!;
  expected = await importFile({ mapping, file: data.files.crm, rejectsFile: join(dataDir, 'expected-rejects.ndjson'), onBatch: async () => undefined });
}, 60_000);

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
  dirs.forEach(removeDir);
});

async function hubIn(dir: string, port: number, extra: string[] = []): Promise<HubProcess> {
  // The CRM file (2 MB) is read on the import's own thread, as the largest files are (decision 037).
  const hub = await startHub(dir, port, ['--import-thread-mb', '1', '--status-interval', '0.25', ...extra]);
  running.push(hub);
  return hub;
}

/** `hub serve` with fault-on-signal.mjs loaded: SIGUSR2 throws, SIGWINCH rejects, as a bug would. */
async function faultyHub(dir: string, port: number): Promise<HubProcess> {
  const p = await spawnReady(['--import', 'tsx', '--import', FAULTS, join(ROOT, 'hub', 'cli.ts'), 'serve', '--data', dir, '--port', String(port), '--quiet']);
  running.push(p);
  return { ...p, dir };
}

const exitOf = (p: ServiceProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve({ code: p.child.exitCode, signal: p.child.signalCode });
    p.child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** The log lines of a hub (JSON on stderr), parsed; the ready line and others left out. */
const logLines = (hub: ServiceProcess) =>
  hub
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

const status = (dir: string) => JSON.parse(readFileSync(join(dir, 'hub-status.json'), 'utf8')) as Record<string, any>;

async function importDone(hub: HubProcess, id: string, ms = 120_000) {
  const admin = adminClient(hub);
  return eventually(async () => {
    const view = (await admin.get(`/imports/${id}`)).body.import;
    return view?.state === 'running' ? undefined : view;
  }, ms, `import ${id} to end`, 250);
}

/** An import's counts, as the hub stored them, equal those of the file read once without interruption. */
async function expectWholeImport(hub: HubProcess, view: any) {
  expect(view.state).toBe('done');
  for (const k of ['rows', 'accepted', 'rejected', 'duplicates', 'cleaned'] as const) expect(view.summary[k]).toBe(expected[k]);
  expect(readFileSync(view.rejectsFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(expected.rejected);
  expect((await adminClient(hub).get('/identity/metrics')).body.metrics.records).toBe(expected.accepted);
}

describe('the database child dies', () => {
  it('killed with SIGKILL mid-import: it is restarted, the import finishes with every row once, and the log and stderr.log say how it died', async () => {
    const dir = tempDir('memberedge-hub-');
    dirs.push(dir);
    const hub = await hubIn(dir, await freePort());
    const admin = adminClient(hub);
    const started = await admin.post('/imports', { source: 'crm', path: data.files.crm });
    expect(started.status).toBe(202);
    const id = started.body.import.id as string;
    await eventually(async () => ((await admin.get(`/imports/${id}`)).body.import?.progress?.rows > 2000 ? true : undefined), 60_000, 'import under way', 50);
    const victim = couchPid(hub);
    process.kill(victim, 'SIGKILL');

    const view = await importDone(hub, id);
    await expectWholeImport(hub, view);
    // Killed mid-file, not after: chunks were written before and after the kill.
    expect(view.chunks).toBeGreaterThan(2);

    const death = logLines(hub).find((l) => l.msg === 'embedded couch exited; restarting');
    expect(death).toMatchObject({ level: 'error', pid: victim, signal: 'SIGKILL', code: null, cause: expect.stringMatching(/OOM killer/), stderrFile: join(dir, 'couch', 'stderr.log') });
    expect(logLines(hub).some((l) => l.msg === 'the database does not answer; requests wait for it' && l.level === 'warn')).toBe(true);
    expect(logLines(hub).some((l) => l.msg === 'the database answers again')).toBe(true);
    expect(logLines(hub).some((l) => l.msg === 'import failed')).toBe(false);
    expect(readFileSync(join(dir, 'couch', 'stderr.log'), 'utf8')).toContain(`the database server (pid ${victim}) exited: code null, signal SIGKILL`);
    await hub.stop();
  }, 180_000);

  it('a database that cannot start again: the hub says what it printed, gives up after six quick deaths and exits 69', async () => {
    const dir = tempDir('memberedge-hub-');
    dirs.push(dir);
    const hub = await hubIn(dir, await freePort());
    const exited = exitOf(hub);
    // A credential file the child cannot read: every start of it fails the same way.
    writeFileSync(join(dir, 'couch-admin.json'), 'not json\n');
    process.kill(couchPid(hub), 'SIGKILL');
    expect(await exited).toEqual({ code: 69, signal: null });

    const lines = logLines(hub);
    expect(lines.filter((l) => l.msg === 'embedded couch exited; restarting')).toHaveLength(5);
    const giveUp = lines.find((l) => l.msg === 'embedded couch keeps dying: giving up')!;
    expect(giveUp).toMatchObject({ level: 'fatal', code: 70, quickDeathsInARow: 6 });
    expect(giveUp.stderrTail.join('\n')).toMatch(/pouchdb-server-child: uncaught exception, exiting[\s\S]*SyntaxError/);
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', msg: 'the embedded database cannot stay up: the hub exits', exitCode: 69 });
    expect(lines.at(-1)!.err).toMatch(/died 6 times in a row/);
    expect(readFileSync(join(dir, 'couch', 'stderr.log'), 'utf8')).toMatch(/SyntaxError[\s\S]*exited: code 70/);
    expect(status(dir)).toMatchObject({ state: 'died', reason: expect.stringMatching(/embedded database cannot stay up/) });
  }, 120_000);
});

describe('the hub dies', () => {
  it('an exception nothing caught, or a rejection nothing handled: a fatal line with the stack, exit 70, the reason kept for the next start', async () => {
    const dir = tempDir('memberedge-hub-');
    dirs.push(dir);
    const port = await freePort();
    for (const [signal, msg, what] of [
      ['SIGUSR2', 'uncaught exception: the hub exits', 'a fault injected by the test (uncaught)'],
      ['SIGWINCH', 'unhandled promise rejection: the hub exits', 'a fault injected by the test (unhandled rejection)'],
    ] as const) {
      const hub = await faultyHub(dir, port);
      const exited = exitOf(hub);
      const child = couchPid(hub);
      hub.child.kill(signal);
      expect(await exited).toEqual({ code: 70, signal: null });
      const last = logLines(hub).at(-1)!;
      expect(last).toMatchObject({ level: 'fatal', msg, exitCode: 70 });
      expect(last.err).toContain(`Error: ${what}`);
      expect(last.err).toMatch(/\n\s+at /); // the stack
      expect(status(dir)).toMatchObject({ state: 'died', reason: expect.stringContaining(what) });
      // Its database goes with it (it watches its parent).
      await eventually(async () => (alive(child) ? undefined : true), 10_000, 'the database child gone');
    }
    const again = await hubIn(dir, port);
    const note = logLines(again).find((l) => String(l.msg).startsWith('the previous run died'));
    expect(note).toMatchObject({ level: 'warn' });
    expect(note!.msg).toContain('a fault injected by the test (unhandled rejection)');
    await again.stop();
    expect(status(dir), `${again.child.exitCode} ${again.child.signalCode} ${again.output()}`).toMatchObject({ state: 'stopped', reason: 'SIGTERM' });
  }, 120_000);

  it('killed with SIGKILL mid-import: the next start says the last run ended without a clean stop, during that import, and finishes it from its checkpoint', async () => {
    const dir = tempDir('memberedge-hub-');
    dirs.push(dir);
    const port = await freePort();
    let hub = await hubIn(dir, port);
    const started = await adminClient(hub).post('/imports', { source: 'crm', path: data.files.crm });
    const id = started.body.import.id as string;
    // The breadcrumb has seen the import under way.
    const under = new RegExp(`^import ${id}: reading, row (\\d+)`);
    await eventually(async () => (status(dir).doing.some((d: string) => Number(under.exec(d)?.[1] ?? 0) > 2000) ? true : undefined), 60_000, 'the breadcrumb naming the import', 100);
    // And what the hub's typed arrays hold, by owner (MB).
    const mb = expect.any(Number);
    expect(status(dir).memory.arraysMb).toEqual({ oneId: mb, profileColumns: mb, profileFacts: mb, memberIds: mb, tags: mb });
    // And the database's RSS with its heap, which the child writes every 5 s.
    const db = await eventually(async () => (status(dir).memory.couchHeapUsedMb > 0 ? status(dir).memory : undefined), 15_000, "the database's heap in the status file", 200);
    expect(db.couchHeapCommittedMb).toBeGreaterThanOrEqual(db.couchHeapUsedMb);
    expect(db.couchRssMb).toBeGreaterThan(db.couchHeapUsedMb);
    await hub.kill();
    const chunksAtDeath = (await importDoc(dir, id)).chunks;
    expect(chunksAtDeath).toBeGreaterThan(0);

    hub = await hubIn(dir, port);
    const note = logLines(hub).find((l) => String(l.msg).startsWith('the previous run ended without a clean stop'));
    expect(note).toMatchObject({ level: 'error', during: expect.stringContaining(`import ${id}`), lastSeen: expect.stringMatching(/^RSS \d+ MB, heap \d+ of \d+ MB, database \d+ MB \(heap \d+ MB\)/), likelyCause: expect.stringMatching(/SIGKILL/) });
    // Not sent again: the hub takes it up at its start, from its checkpoint.
    const resumed = await eventually(async () => logLines(hub).find((l) => l.msg === 'resuming an import the last run left unfinished'), 30_000, 'the import resumed');
    expect(resumed).toMatchObject({ import: id, chunks: chunksAtDeath });
    expect(resumed!.fromRow).toBeGreaterThan(0);
    await expectWholeImport(hub, await importDone(hub, id));
    await hub.stop();
  }, 180_000);
});

/** An import's document as the stopped hub left it, read over the embedded database alone. */
function importDoc(dir: string, id: string): Promise<{ chunks: number; state: string }> {
  return readStoredIdentity(dir, async (db) => (await db.get<any>(`imp:${id}`))!);
}
