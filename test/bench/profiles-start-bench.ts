import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Couch, seqNumber } from '../../hub/couch/couch.ts';
import { DB } from '../../hub/couch/databases.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { ProfileBase } from '../../hub/profile/base.ts';
import { PROFILE_SNAPSHOT_MARKER, ProfileEngine } from '../../hub/profile/engine.ts';
import { writeProfileSnapshot } from '../../hub/profile/snapshot.ts';
import { createLog } from '../../shared/cli/log.ts';
import { factAt, facts, syntheticDirectory, writeFactDocs } from './profiles-bench.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * Decision 029's figure: how long a hub takes to have its profiles ready when it starts from the
 * snapshot file, against the start that reads every fact from CouchDB.
 *
 * 1. In the same run, at BENCH_PROFILE_START_MEMBERS (default 20,000; 0 skips it: loading CouchDB
 *    takes minutes here): hub-facts loaded, the engine built from it (the start as it was; its
 *    snapshot written after), then BENCH_PROFILE_CATCHUP facts (default 1 %) written to hub-facts
 *    and a second engine started from the file: read, caught up from the feed, every member computed.
 * 2. At BENCH_PROFILE_SNAPSHOT_MEMBERS (default 1,000,000; 0 skips it) with 10 facts a member:
 *    ten million facts cannot be loaded into CouchDB in time here, so the file is written from a
 *    base filled in process (the same facts the profiles bench uses), against a database holding
 *    only BENCH_PROFILE_CATCHUP facts written after it (default 10,000); then the engine starts from
 *    it as a hub does and the time to its profiles being ready is measured, with its phases.
 */

const COUCH_MEMBERS = Number(process.env.BENCH_PROFILE_START_MEMBERS ?? 20_000);
const SNAP_MEMBERS = Number(process.env.BENCH_PROFILE_SNAPSHOT_MEMBERS ?? 1_000_000);
const SNAP_FACTS = Number(process.env.BENCH_PROFILE_SNAPSHOT_FACTS ?? 10 * SNAP_MEMBERS);
const CATCHUP = process.env.BENCH_PROFILE_CATCHUP === undefined ? undefined : Number(process.env.BENCH_PROFILE_CATCHUP);
const DAY = '2026-11-30';
const TZ = 'Asia/Shanghai';
const HUB = 'bench-hub';
const quiet = createLog('bench', true);
const clock = () => new Date(`${DAY}T04:00:00Z`);
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

type Started = NonNullable<ProfileEngine['lastStart']>;

export interface ProfileStartBench {
  couch?: { members: number; docs: number; loadDbSeconds: number; fromCouchSeconds: number; snapshotWriteSeconds: number; snapshotMb: number; catchUpDocs: number; fromSnapshot: Started; facts: number };
  full?: { members: number; facts: number; factsHeld: number; fileInProcessSeconds: number; writeSeconds: number; snapshotMb: number; catchUpDocs: number; fromSnapshot: Started; rssAfterStartMb: number; peakRssMb: number; stopWrite: ProfileEngine['lastSnapshot'] };
}

/** The facts k = from … from+count-1 of the synthetic run. */
function* factsFrom(fromK: number, count: number, members: number): Generator<ReturnType<typeof factAt>> {
  for (let k = fromK; k < fromK + count; k++) yield factAt(k, members);
}

/** Starts an engine as a hub does and waits for its first base (from the file, or the databases). */
async function startEngine(couch: Couch, members: number, snapshots: string): Promise<ProfileEngine> {
  const engine = new ProfileEngine({ couch, directory: syntheticDirectory(members), log: quiet, clock, timeZone: TZ, ready: Promise.resolve(), snapshots: { dir: snapshots, hubId: HUB } });
  engine.start(3_600_000);
  // The whole first build: the base, the catch-up after it, and the file written after a build from the databases.
  while (!engine.isBuilt || (!engine.lastSnapshot && engine.lastStart?.from !== 'snapshot')) await new Promise((r) => setTimeout(r, 20));
  return engine;
}

async function withCouch<T>(run: (couch: Couch, dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir('memberedge-profile-start-');
  const embedded = await startEmbeddedCouch(dir, quiet);
  try {
    // As the hub's: a request the loaded machine's database drops is sent again.
    const couch = new Couch(embedded.url, { ms: 60_000, log: quiet });
    await couch.ensureCentral();
    return await run(couch, dir);
  } finally {
    await embedded.stop();
    removeDir(dir);
  }
}

/** Part 1: the start from CouchDB and from the file, same facts, same run. */
function benchThroughCouch(members: number) {
  return withCouch(async (couch, dir) => {
    const count = 10 * members;
    let t = performance.now();
    const docs = await writeFactDocs(couch, factsFrom(0, count, members));
    const loadDbSeconds = (performance.now() - t) / 1000;
    const snapshots = join(dir, 'snapshots');
    // The start as it was: no file yet, every fact read from hub-facts (the file is written after).
    const first = await startEngine(couch, members, snapshots);
    const fromCouchSeconds = first.lastBuild!.ms / 1000;
    const written = first.lastSnapshot!;
    await first.stop();
    const catchUp = await writeFactDocs(couch, factsFrom(count, CATCHUP ?? Math.round(count / 100), members));
    const second = await startEngine(couch, members, snapshots);
    const out = { members, docs, loadDbSeconds, fromCouchSeconds, snapshotWriteSeconds: written.ms / 1000, snapshotMb: written.bytes / 2 ** 20, catchUpDocs: catchUp, fromSnapshot: second.lastStart!, facts: second.status().facts };
    await second.stop();
    return out;
  });
}

/** Part 2: the file written from a base filled in process at full size, then a hub's start from it. */
function benchFullSize(members: number, factCount: number) {
  return withCouch(async (couch, dir) => {
    const snapshots = join(dir, 'snapshots');
    const markers = { facts: 'bench-facts', online: 'bench-online' };
    await couch.db(DB.facts).insert({ _id: PROFILE_SNAPSHOT_MARKER, instance: markers.facts }, PROFILE_SNAPSHOT_MARKER);
    await couch.db(DB.identity).insert({ _id: PROFILE_SNAPSHOT_MARKER, instance: markers.online }, PROFILE_SNAPSHOT_MARKER);
    const seqs = { facts: seqNumber((await couch.db(DB.facts).info()).update_seq), online: seqNumber((await couch.db(DB.identity).info()).update_seq) };
    let base: ProfileBase | undefined = new ProfileBase(syntheticDirectory(members));
    let t = performance.now();
    base.load(facts(factCount, members));
    const fileInProcessSeconds = (performance.now() - t) / 1000;
    const factsHeld = base.factsHeld;
    t = performance.now();
    // The image's views hold the pages: let go of them with the base before the start reads its own.
    const { bytes } = await writeProfileSnapshot(snapshots, { hubId: HUB, timeZone: TZ, seqs, markers, writtenAt: new Date().toISOString(), after: 'build' }, base.factImage().image, factsHeld);
    const writeSeconds = (performance.now() - t) / 1000;
    base = undefined;
    gc();
    // What stores wrote while the hub was down: read from the feed after the file's sequence number.
    const catchUpDocs = await writeFactDocs(couch, factsFrom(factCount, CATCHUP ?? 10_000, members));
    gc();
    const engine = await startEngine(couch, members, snapshots);
    const fromSnapshot = engine.lastStart!;
    if (fromSnapshot.from !== 'snapshot') throw new Error(`the start did not use the file: ${fromSnapshot.refused}`);
    gc();
    const rssAfterStartMb = rssMb();
    await engine.stop(); // caught-up facts: the stop writes the file again
    return { members, facts: factCount, factsHeld, fileInProcessSeconds, writeSeconds, snapshotMb: bytes / 2 ** 20, catchUpDocs, fromSnapshot, rssAfterStartMb, peakRssMb: peakRssMb(), stopWrite: engine.lastSnapshot };
  });
}

export async function benchProfileStart(): Promise<ProfileStartBench> {
  const out: ProfileStartBench = {};
  if (COUCH_MEMBERS > 0) out.couch = await benchThroughCouch(COUCH_MEMBERS);
  if (SNAP_MEMBERS > 0) out.full = await benchFullSize(SNAP_MEMBERS, SNAP_FACTS);
  return out;
}
