import { existsSync } from 'node:fs';
import { seedMemberId, seedPhone } from '../../shared/seed-members.ts';
import { addFirstTerminal, removeDir, startEdge, tempDir, type EdgeProcess } from './edge-node.ts';
import { FaultProxy } from './fault-proxy.ts';
import { adminClient, enrollNode, freePort, startHub, type HubProcess } from './hub.ts';

/*
 * The chaos harness: a hub and five store nodes, real processes on loopback, each store behind
 * its own fault-injecting proxy, mixed POS traffic at every store while a seeded schedule of
 * faults runs; then everything is healed and the harness waits for the fleet to agree on every
 * fact it was told about (acknowledged with a 2xx). It reports what it saw; callers assert.
 */

export interface ChaosOptions {
  seconds: number;
  seed: number;
  stores?: number;
  membersPerStore?: number;
  /** The kinds of fault to inject (all by default): leave one out to see what the others break. */
  faults?: readonly FaultKind[];
  /** How long after the last heal the fleet may take to converge before it counts as a failure. */
  convergeBoundMs?: number;
  log?: (line: string) => void;
}

/** A fact a node acknowledged, with what it must have left behind. */
interface AckedFact {
  kind: 'register' | 'checkout' | 'refund' | 'interaction' | 'coupon_issue';
  storeId: string;
  memberId: string;
  /** Ids of the facts that must be at the hub once (and their `pts:` entries at every serving store). */
  ids: string[];
  /** Points this answer moved, for the running balance. */
  delta: number;
  at: number;
  coupons?: string[];
}

export interface Violation {
  check: string;
  detail: string;
  /** The store that acknowledged the fact, and the store found lacking it, when the check is about one fact. */
  from?: string;
  at?: string;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  stores: number;
  facts: Record<string, number>;
  faults: Record<string, number>;
  incidents: Record<string, number>;
  /** The first few facts the hub refused or quarantined, with why. */
  quarantined: string[];
  requests: { byStatus: Record<string, number>; byCode: Record<string, number>; unreachable: number; timeouts: number; /** Writes whose answer was lost. */ inDoubt: number; /** Members with writes overlapping in time. */ overlapping: number };
  /** A member the store had answered for (identify 200, or a home member) refused as unknown there. */
  shownThenUnknown: string[];
  /** Each store's /healthz sync at the end, to explain a failure to converge. */
  syncAtEnd: Record<string, unknown>;
  /** The last warnings and errors each store logged (of its current process), for the same reason. */
  storeLogs: Record<string, string[]>;
  serverErrors: string[];
  /** Lines of the hub's and stores' logs that tell of an unhandled rejection or exception: each is a defect. */
  unhandled: string[];
  doubleRedemptions: number;
  coupons: { issued: number; notAtTill: number; redeemedOnce: number; redeemedTwice: number; refusedAtSecondTill: number };
  overspentMembers: number;
  clockSkew: 'libfaketime' | 'unavailable';
  converged: boolean;
  convergeMs: number;
  violations: Violation[];
  checkedMembers: number;
  /** Each fault as it began, with its target: with the seed, how to replay a failure. */
  faultLog: string[];
}

export const FAULT_KINDS = ['partition', 'partition_many', 'blackhole', 'kill_store', 'kill_hub', 'disable_store', 'slow_link'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
const SKEW_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const EDGE_FLAGS = ['--heartbeat-interval', '1', '--identify-rate', '100000', '--identify-burst', '1000'];

/** A POS call with a timeout: a node that hangs must not hang the harness. */
async function call(url: string, token: string, method: 'get' | 'post', path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method: method.toUpperCase(),
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** mulberry32: a small seeded generator, so a failing schedule can be replayed by its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

type Rng = ReturnType<typeof rng>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = (m: Record<string, number>, k: string, n = 1) => void (m[k] = (m[k] ?? 0) + n);

interface StoreNode {
  id: string;
  dir: string;
  token: string;
  proxy: FaultProxy;
  edge?: EdgeProcess;
  skewed: boolean;
  /** Members this store has answered for (home members and those identified here). */
  members: Set<string>;
  /** Its acknowledged checkouts with a member, for refunds. */
  checkouts: { id: string; memberId: string; refunded: boolean }[];
  down: boolean;
  disabled: boolean;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  // One generator per worker: shared, the workers' interleaving would change every draw after the first.
  const r = rng(opts.seed);
  const storeCount = opts.stores ?? 5;
  const perStore = opts.membersPerStore ?? 30;
  const skewAvailable = existsSync(SKEW_LIB);
  const facts: AckedFact[] = [];
  const faults: Record<string, number> = {};
  const requests = { byStatus: {} as Record<string, number>, byCode: {} as Record<string, number>, unreachable: 0, timeouts: 0, inDoubt: 0, overlapping: 0 };
  const inDoubt = { members: new Set<string>(), coupons: new Set<string>() };
  const inFlight = new Map<string, number>();
  const shownThenUnknown: string[] = [];
  const faultLog: string[] = [];
  const coupons = { issued: 0, notAtTill: 0, redeemedOnce: 0, redeemedTwice: 0, refusedAtSecondTill: 0 };
  const serverErrors: string[] = [];
  const unhandled: string[] = [];
  // A killed process's log goes with it: read before each kill and at the end.
  const noteUnhandled = (who: string, p: { output(): string } | undefined) => {
    for (const line of (p?.output() ?? '').split('\n')) if (/unhandled|uncaught/i.test(line) && unhandled.length < 20) unhandled.push(`${who}: ${line.slice(0, 300)}`);
  };
  const doubleTries = new Map<string, string[]>(); // coupon → stores that acknowledged its redemption
  const initial = new Map<string, number>();
  const phones = new Map<string, string>();
  const homeOf = new Map<string, string>();

  const hubDir = tempDir('memberedge-chaos-hub-');
  const hubPort = await freePort();
  let hub: HubProcess = await startHub(hubDir, hubPort);
  let hubDown = false;
  const admin = () => adminClient(hub);
  const stores: StoreNode[] = [];
  const cleanup = async () => {
    for (const s of stores) await s.edge?.kill().catch(() => {});
    for (const s of stores) await s.proxy.stop().catch(() => {});
    if (!hubDown) await hub.stop().catch(() => {});
    for (const s of stores) removeDir(s.dir);
    removeDir(hubDir);
  };

  const startStore = async (s: StoreNode) => {
    const env: Record<string, string> = s.skewed && skewAvailable ? { LD_PRELOAD: SKEW_LIB, FAKETIME: '+10m' } : {};
    s.edge = await startEdge(s.dir, EDGE_FLAGS, env);
    s.down = false;
  };

  try {
    // The fleet: stores enroll through their proxies, so the hub URL each saves is its proxy's.
    // Side by side: each store's enrollment waits mostly on the hub's answers.
    const enrolled = await Promise.allSettled(Array.from({ length: storeCount }, async (_, i) => {
      const id = `S${String(i + 1).padStart(3, '0')}`;
      const proxy = await new FaultProxy(hubPort).start();
      const added = await admin().post('/stores', { id, name: `Chaos ${id}` });
      if (added.status !== 201) throw new Error(`store add ${id}: ${JSON.stringify(added.body)}`);
      await admin().post(`/stores/${id}/seed`, { count: perStore, first: i * 1000 });
      const dir = tempDir(`memberedge-chaos-${id}-`);
      await enrollNode(dir, proxy.url, added.body.enrollment.code);
      const token = await addFirstTerminal(dir);
      const s: StoreNode = { id, dir, token, proxy, skewed: i === storeCount - 1, members: new Set(), checkouts: [], down: false, disabled: false };
      for (let k = 0; k < perStore; k++) {
        const m = seedMemberId(i * 1000 + k);
        s.members.add(m);
        phones.set(m, seedPhone(i * 1000 + k));
        homeOf.set(m, id);
      }
      return s;
    }));
    // Every store made is cleaned up, whichever failed.
    for (const e of enrolled) if (e.status === 'fulfilled') stores.push(e.value);
    const failed = enrolled.find((e) => e.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(stores.map(startStore));
    if (skewAvailable) bump(faults, 'clock_skew_+10m_whole_run');
    for (const m of homeOf.keys()) initial.set(m, (await admin().get(`/members/${m}`)).body.member.points.balance);
    log(`fleet up: hub ${hub.url}, ${stores.map((s) => `${s.id} ${s.edge!.url} via :${s.proxy.port}${s.skewed ? ' (clock +10m)' : ''}`).join(', ')}`);

    const deadline = Date.now() + opts.seconds * 1000;
    let receiptSeq = 0;
    let phoneSeq = 0;

    /**
     * One POS call; counts it; a 5xx is kept as a finding. Undefined when the node is unreachable.
     * A write whose answer was lost (the node killed mid-request, the connection reset) may or may
     * not have happened: its member and coupon are in doubt, and the checks that need every fact
     * of a member (overspend, double redemption) leave them out. So are writes of one member
     * that overlap in time (a store worker and a coupon worker at once): the till serves them in
     * an order the harness cannot see, and the order it acknowledges them in may differ.
     */
    const pos = async (s: StoreNode, method: 'get' | 'post', path: string, body?: unknown, o: { lookup?: boolean; member?: string; coupon?: string } = {}) => {
      if (!s.edge || s.down) {
        requests.unreachable++;
        return undefined;
      }
      const member = method === 'post' && !o.lookup ? o.member : undefined;
      if (member !== undefined) {
        const flying = inFlight.get(member) ?? 0;
        if (flying > 0 && !inDoubt.members.has(member)) {
          requests.overlapping++;
          inDoubt.members.add(member);
        }
        inFlight.set(member, flying + 1);
      }
      try {
        const res = await call(s.edge.url, s.token, method, path, body);
        bump(requests.byStatus, String(res.status));
        if (res.status >= 400) bump(requests.byCode, String(res.body?.error?.code ?? res.status));
        if (!o.lookup && res.status === 404 && res.body?.error?.code === 'member_not_found' && shownThenUnknown.length < 50) shownThenUnknown.push(`${s.id} ${method.toUpperCase()} ${path} ${JSON.stringify(body)} → 404 member_not_found`);
        if (res.status >= 500 && serverErrors.length < 50) serverErrors.push(`${s.id} ${method.toUpperCase()} ${path} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
        return res;
      } catch (err) {
        if ((err as Error).name === 'TimeoutError') requests.timeouts++;
        else requests.unreachable++;
        const refused = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
        if (!refused && method === 'post' && !o.lookup) {
          requests.inDoubt++;
          if (o.member) inDoubt.members.add(o.member);
          if (o.coupon) inDoubt.coupons.add(o.coupon);
        }
        return undefined;
      } finally {
        if (member !== undefined) inFlight.set(member, inFlight.get(member)! - 1);
      }
    };

    const ack = (f: Omit<AckedFact, 'at'>) => facts.push({ ...f, at: Date.now() });

    const checkoutFacts = (s: StoreNode, c: any, coupons: string[] = []) => {
      const cid = String(c.id);
      const m = String(c.member.id);
      const ids = [`order:${cid}`];
      if (c.pointsEarned > 0) ids.push(`pts:${m}:earn:${cid}`);
      if (c.pointsRedeemed > 0) ids.push(`pts:${m}:redeem:${cid}`);
      for (const code of coupons) ids.push(`redeem:${code}`);
      ack({ kind: 'checkout', storeId: s.id, memberId: m, ids, delta: c.pointsEarned - c.pointsRedeemed, coupons });
      s.checkouts.push({ id: cid, memberId: m, refunded: false });
    };

    const oneOp = async (s: StoreNode, r: Rng) => {
      const members = [...s.members];
      const roll = r.next();
      if (roll < 0.12) {
        // A member of another store walks in: identify asks the hub, the store starts serving them.
        const other = r.pick(stores.filter((o) => o !== s));
        const m = r.pick([...other.members]);
        const res = await pos(s, 'post', '/v1/members/identify', { phone: phones.get(m) }, { lookup: true });
        if (res?.status === 200) s.members.add(res.body.member.id);
      } else if (roll < 0.18) {
        const phone = `+86137${String(opts.seed % 100).padStart(2, '0')}${String(++phoneSeq).padStart(6, '0')}`;
        const res = await pos(s, 'post', '/v1/members', { phone, name: 'Chaos Walk-in' });
        if (res?.status === 201) {
          const m = String(res.body.member.id);
          s.members.add(m);
          phones.set(m, phone);
          homeOf.set(m, s.id);
          initial.set(m, 0);
          const gift = Number(res.body.member.points.balance);
          ack({ kind: 'register', storeId: s.id, memberId: m, ids: [`event:${s.id}:${m}:register`, ...(gift > 0 ? [`pts:${m}:join`] : [])], delta: gift });
        }
      } else if (roll < 0.55) {
        const m = r.pick(members);
        const receiptNo = `R${++receiptSeq}`;
        const res = await pos(s, 'post', '/v1/checkouts', { receiptNo, memberId: m, lines: [{ sku: `SKU${r.int(1, 50)}`, qty: r.int(1, 3), unitPrice: r.int(5, 300) * 100 }] }, { member: m });
        if (res && res.status < 300) checkoutFacts(s, res.body.checkout);
      } else if (roll < 0.75) {
        // Spend what the till shows, sometimes all of it: with stale replicas that overspends.
        const m = r.pick(members);
        const shown = await pos(s, 'get', `/v1/members/${m}/points?limit=1`);
        const balance = Number(shown?.body?.balance ?? 0);
        if (balance < 100) return;
        const points = Math.floor((r.chance(0.5) ? balance : balance * r.next()) / 100) * 100;
        if (points < 100) return;
        const res = await pos(s, 'post', '/v1/checkouts', { receiptNo: `R${++receiptSeq}`, memberId: m, lines: [{ sku: 'SPEND', qty: 1, unitPrice: points * 2 }], pointsToRedeem: points }, { member: m });
        if (res && res.status < 300) checkoutFacts(s, res.body.checkout);
      } else if (roll < 0.87) {
        const open = s.checkouts.filter((c) => !c.refunded);
        if (open.length === 0) return;
        const c = r.pick(open);
        const refundNo = `F${++receiptSeq}`;
        const res = await pos(s, 'post', `/v1/checkouts/${c.id}/refunds`, { refundNo }, { member: c.memberId });
        if (res && res.status < 300) {
          c.refunded = true;
          const rf = res.body.refund;
          const cause = `${c.id}:${refundNo}`;
          const ids = [`refund:${cause}`];
          if (rf.pointsClawedBack > 0) ids.push(`pts:${c.memberId}:clawback:${cause}`);
          if (rf.pointsReturned > 0) ids.push(`pts:${c.memberId}:return:${cause}`);
          ack({ kind: 'refund', storeId: s.id, memberId: c.memberId, ids, delta: rf.pointsReturned - rf.pointsClawedBack });
        } else if (res?.body?.error?.code === 'nothing_to_refund') c.refunded = true;
      } else {
        const m = r.pick(members);
        const kind = r.pick(['survey', 'join_event', 'invite_friend'] as const);
        const ref = `${kind}-${++receiptSeq}`;
        const res = await pos(s, 'post', `/v1/members/${m}/interactions`, { kind, ref }, { member: m });
        if (res?.status === 201) {
          const cause = `int:${kind}:${ref}`;
          ack({ kind: 'interaction', storeId: s.id, memberId: m, ids: [`event:${s.id}:${m}:${cause}`, `pts:${m}:${cause}`], delta: Number(res.body.interaction.awarded) });
        }
      }
    };

    const storeWorker = async (s: StoreNode, i: number) => {
      const r = rng(opts.seed + 1000 + i);
      while (Date.now() < deadline) {
        await oneOp(s, r).catch((err) => serverErrors.length < 50 && serverErrors.push(`${s.id} harness: ${String(err)}`));
        await sleep(r.int(30, 250));
      }
    };

    /** Coupons issued at the hub and redeemed at a till; sometimes one coupon at two tills at once. */
    const couponWorker = async (k: number) => {
      const r = rng(opts.seed + 2000 + k);
      const pickTwo = (): [StoreNode, StoreNode] => {
        const a = r.pick(stores);
        return [a, r.pick(stores.filter((o) => o !== a))];
      };
      while (Date.now() < deadline) {
        await sleep(r.int(500, 2500));
        const double = r.chance(0.4);
        const [a, b] = double ? pickTwo() : [r.pick(stores), undefined];
        const m = r.pick([...a.members]);
        if (b) {
          const seen = await pos(b, 'post', '/v1/members/identify', { phone: phones.get(m) }, { lookup: true });
          if (seen?.status !== 200) continue;
          b.members.add(m);
        }
        const issued = await admin().post('/coupons', { memberId: m, templateId: 'CASH20' }).catch(() => undefined);
        if (issued?.status !== 201) continue;
        const code = String(issued.body.coupon.code);
        coupons.issued++;
        const basket = { memberId: m, lines: [{ sku: 'CPN', qty: 1, unitPrice: 20_000 }] };
        const tills = b ? [a, b] : [a];
        // The till must hold the coupon before the shopper can use it; give it a few seconds.
        const ready = await Promise.all(tills.map(async (s) => {
          for (let i = 0; i < 40 && Date.now() < deadline; i++) {
            if ((await pos(s, 'post', `/v1/coupons/${code}/verify`, basket))?.body?.valid) return true;
            await sleep(250);
          }
          return false;
        }));
        const at = tills.filter((_, i) => ready[i]);
        if (at.length < tills.length) coupons.notAtTill++;
        if (at.length === 0) continue;
        const answers = await Promise.all(at.map((s) => pos(s, 'post', '/v1/checkouts', { ...basket, receiptNo: `C${++receiptSeq}`, couponCodes: [code] }, { member: m, coupon: code }).then((res) => ({ s, res }))));
        for (const { s, res } of answers) {
          if (!res || res.status >= 300) continue;
          checkoutFacts(s, res.body.checkout, [code]);
          doubleTries.set(code, [...(doubleTries.get(code) ?? []), s.id]);
        }
        const ok = answers.filter(({ res }) => res && res.status < 300).length;
        if (ok === 2) coupons.redeemedTwice++;
        else if (ok === 1) coupons.redeemedOnce++;
        if (at.length === 2 && ok === 1) coupons.refusedAtSecondTill++;
      }
    };

    // The fault schedule: one fault at a time per target, drawn from the seed.
    const busy = new Set<string>();
    const pending: Promise<void>[] = [];
    const hold = (ms: number) => sleep(Math.min(ms, Math.max(0, deadline - Date.now())));
    const faultFor = async (kind: string, targets: StoreNode[], run: () => Promise<void>) => {
      for (const t of targets) busy.add(t.id);
      bump(faults, kind);
      const line = `${new Date().toISOString()} fault ${kind} ${targets.map((t) => t.id).join(',') || 'hub'}`;
    faultLog.push(line);
    log(line);
      try {
        await run();
      } catch (err) {
        log(`fault ${kind} failed: ${String(err)}`);
      } finally {
        for (const t of targets) busy.delete(t.id);
      }
    };
    // Rounds of every kind in a seeded order, so a short run still has each kind of fault.
    let round: FaultKind[] = [];
    const shuffle = <T>(xs: T[]) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = r.int(0, i);
        [xs[i], xs[j]] = [xs[j]!, xs[i]!];
      }
      return xs;
    };
    const faultWorker = async () => {
      while (Date.now() < deadline - 3000) {
        await sleep(r.int(1500, 5000));
        const free = stores.filter((s) => !busy.has(s.id));
        if (round.length === 0) round = shuffle([...(opts.faults ?? FAULT_KINDS)]);
        if (round.length === 0) continue;
        const kind = round.pop()!;
        const ms = r.int(2000, 12_000);
        if (kind === 'kill_hub') {
          if (busy.has('hub')) continue;
          busy.add('hub');
          pending.push(faultFor('kill_hub', [], async () => {
            hubDown = true;
            noteUnhandled('hub', hub);
            await hub.kill();
            await hold(r.int(1000, 6000));
            hub = await startHub(hubDir, hubPort);
            hubDown = false;
          }).finally(() => busy.delete('hub')));
          continue;
        }
        if (free.length === 0) continue;
        const one = [r.pick(free)];
        if (kind === 'partition' || kind === 'blackhole') {
          pending.push(faultFor(kind, one, async () => {
            one[0]!.proxy.partition(kind === 'partition' ? 'refuse' : 'blackhole');
            await hold(ms);
            one[0]!.proxy.heal();
          }));
        } else if (kind === 'partition_many') {
          const many = free.filter(() => r.chance(0.6)).slice(0, 3);
          if (many.length < 2) continue;
          pending.push(faultFor(kind, many, async () => {
            for (const s of many) s.proxy.partition('refuse');
            await hold(ms);
            for (const s of many) s.proxy.heal();
          }));
        } else if (kind === 'slow_link') {
          pending.push(faultFor(kind, one, async () => {
            one[0]!.proxy.slowDown({ latencyMs: r.int(100, 800), bytesPerSecond: r.pick([0, 20_000, 100_000]) });
            await hold(ms);
            one[0]!.proxy.heal();
          }));
        } else if (kind === 'kill_store') {
          const s = one[0]!;
          pending.push(faultFor(kind, one, async () => {
            s.down = true;
            noteUnhandled(s.id, s.edge);
            await s.edge!.kill();
            await hold(r.int(500, 4000));
            await startStore(s);
          }));
        } else if (kind === 'disable_store') {
          const s = one[0]!;
          pending.push(faultFor(kind, one, async () => {
            const off = await admin().post(`/stores/${s.id}/disable`);
            if (off.status !== 200) throw new Error(`disable ${s.id}: ${off.status}`);
            s.disabled = true;
            await hold(ms);
            const on = await admin().post(`/stores/${s.id}/enable`);
            if (on.status === 200) s.disabled = false;
          }));
        }
      }
    };

    const started = Date.now();
    await Promise.all([...stores.map(storeWorker), ...[0, 1, 2].map(couponWorker), faultWorker()]);
    await Promise.allSettled(pending);
    log(`traffic done after ${Math.round((Date.now() - started) / 1000)} s: ${facts.length} acknowledged facts`);

    // Heal everything: links clean, every process up, every store enabled.
    for (const s of stores) s.proxy.heal();
    if (hubDown) {
      hub = await startHub(hubDir, hubPort);
      hubDown = false;
    }
    for (const s of stores) {
      if (s.down || s.edge?.child.exitCode !== null) await startStore(s);
      for (let i = 0; i < 30; i++) {
        const on = await admin().post(`/stores/${s.id}/enable`).catch(() => undefined);
        if (on?.status === 200) break;
        await sleep(1000);
      }
    }
    const healedAt = Date.now();
    log(`${new Date().toISOString()} healed; waiting for convergence`);

    // Convergence: every check passes; the time is from the last heal to the first clean pass.
    const bound = opts.convergeBoundMs ?? 120_000;
    let violations: Violation[] = [];
    let checked = 0;
    let converged = false;
    for (;;) {
      const t0 = Date.now();
      ({ violations, checked } = await check(stores, admin(), facts, doubleTries, initial, inDoubt));
      log(`check at ${((Date.now() - healedAt) / 1000).toFixed(1)} s after the heal: ${violations.length} violations (the check took ${Date.now() - t0} ms)`);
      if (violations.length === 0) {
        converged = true;
        break;
      }
      if (Date.now() - healedAt > bound) break;
      await sleep(1000);
    }
    const convergeMs = Date.now() - healedAt;
    log(converged ? `converged ${convergeMs} ms after the last heal` : `not converged after ${convergeMs} ms: ${violations.length} violations`);

    noteUnhandled('hub', hub);
    for (const s of stores) noteUnhandled(s.id, s.edge);
    const storeLogs: Record<string, string[]> = {};
    for (const s of stores) storeLogs[s.id] = (s.edge?.output() ?? '').split('\n').filter((l) => /warn|error|unhandled|stopped/i.test(l)).slice(-5).map((l) => l.slice(0, 300));
    const syncAtEnd: Record<string, unknown> = {};
    for (const s of stores) syncAtEnd[s.id] = await fetch(`${s.edge!.url}/healthz`).then((x) => x.json()).then((h: any) => h.sync).catch((err) => String(err));
    const incidents: Record<string, number> = {};
    const quarantined: string[] = [];
    for (const i of ((await admin().get('/incidents')).body.incidents ?? []) as { kind: string; status: string; summary: string }[]) {
      bump(incidents, i.status === 'withdrawn' ? `${i.kind} (withdrawn)` : i.kind);
      // Facts the hub would not take in: each is either a product bug or a lie the harness told, so say which.
      if ((i.kind === 'quarantined_fact' || i.kind === 'refused_document') && quarantined.length < 10) quarantined.push(i.summary.slice(0, 300));
    }
    const byKind: Record<string, number> = {};
    for (const f of facts) bump(byKind, f.kind);
    return {
      seed: opts.seed,
      seconds: opts.seconds,
      stores: storeCount,
      facts: byKind,
      quarantined,
      faults,
      incidents,
      requests,
      serverErrors,
      unhandled,
      shownThenUnknown,
      syncAtEnd,
      storeLogs,
      doubleRedemptions: [...doubleTries.values()].filter((v) => v.length > 1).length,
      coupons,
      overspentMembers: overspent(facts, initial).size,
      clockSkew: skewAvailable ? 'libfaketime' : 'unavailable',
      converged,
      convergeMs,
      violations,
      checkedMembers: checked,
      faultLog,
    };
  } finally {
    await cleanup();
  }
}

/** Members whose balance across every store went below zero, replaying acknowledged facts in the order they were acknowledged. */
function overspent(facts: AckedFact[], initial: Map<string, number>): Set<string> {
  const balance = new Map(initial);
  const out = new Set<string>();
  for (const f of [...facts].sort((a, b) => a.at - b.at)) {
    const b = (balance.get(f.memberId) ?? 0) + f.delta;
    balance.set(f.memberId, b);
    if (b < 0) out.add(f.memberId);
  }
  return out;
}

/** Every invariant over the healed fleet; an empty list means converged. */
async function check(stores: StoreNode[], admin: ReturnType<typeof adminClient>, facts: AckedFact[], redemptions: Map<string, string[]>, initial: Map<string, number>, inDoubt: { members: Set<string>; coupons: Set<string> }): Promise<{ violations: Violation[]; checked: number }> {
  const v: Violation[] = [];
  const add = (check: string, detail: string, where: { from?: string; at?: string } = {}) => v.push({ check, detail, ...where });
  const byMember = new Map<string, AckedFact[]>();
  for (const f of facts) byMember.set(f.memberId, [...(byMember.get(f.memberId) ?? []), f]);
  const members = [...new Set([...initial.keys(), ...byMember.keys()])];
  const storeById = new Map(stores.map((s) => [s.id, s]));

  // A few members at a time: one by one, a round over a thousand members took longer than the convergence it measures.
  const queue = [...members];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let m = queue.shift(); m !== undefined; m = queue.shift()) await checkMember(m);
  }));
  async function checkMember(m: string) {
    const hubView = await admin.get(`/members/${m}`).catch(() => undefined);
    if (hubView?.status !== 200) {
      add('member at the hub', `${m}: hub answered ${hubView?.status ?? 'nothing'}`, { at: 'hub' });
      return;
    }
    const hubFacts = hubView.body.facts as { id: string; type: string; storeId: string | null }[];
    const count = new Map<string, number>();
    for (const f of hubFacts) count.set(f.id, (count.get(f.id) ?? 0) + 1);
    for (const [id, n] of count) if (n > 1) add('no fact doubled at the hub', `${m}: ${id} ×${n}`);
    const acked = byMember.get(m) ?? [];
    for (const f of acked) for (const id of f.ids) if (!count.has(id)) add('acknowledged fact at the hub', `${m}: ${id} (${f.kind} at ${f.storeId})`, { from: f.storeId, at: 'hub' });
    const hubBalance = hubView.body.member?.points?.balance;
    if (typeof hubBalance !== 'number' || !Number.isFinite(hubBalance)) add('balance is a number', `${m}: hub balance ${JSON.stringify(hubBalance)}`);
    const hubPts = new Set(hubFacts.filter((f) => f.type === 'pts').map((f) => f.id));

    for (const storeId of hubView.body.stores as string[]) {
      const s = storeById.get(storeId);
      if (!s?.edge) continue;
      const res = await call(s.edge.url, s.token, 'get', `/v1/members/${m}/points?limit=1000`).catch(() => undefined);
      if (res?.status !== 200) {
        add('member at every store that serves them', `${m} at ${storeId}: ${res?.status ?? 'unreachable'} ${JSON.stringify(res?.body?.error ?? '')}`);
        continue;
      }
      const ledger = res.body.ledger as { id: string; delta: number }[];
      const ids = new Set(ledger.map((e) => e.id));
      const sum = ledger.reduce((t, e) => t + e.delta, 0);
      if (res.body.balance !== hubBalance) add('balance equal at the hub and every store', `${m}: hub ${hubBalance}, ${storeId} ${res.body.balance}`, { at: storeId });
      if (res.body.balance !== sum) add('balance equals the sum of the ledger', `${m} at ${storeId}: balance ${res.body.balance}, ledger sum ${sum} (${ledger.length} entries)`);
      for (const f of acked) for (const id of f.ids) if (id.startsWith('pts:') && !ids.has(id)) add('acknowledged fact at every store that serves the member', `${m}: ${id} (${f.kind} at ${f.storeId}) missing at ${storeId}`, { from: f.storeId, at: storeId });
      for (const id of hubPts) if (!ids.has(id)) add('same ledger at the hub and every store', `${m}: ${id} at the hub, not at ${storeId}`, { at: storeId });
      for (const id of ids) if (!hubPts.has(id)) add('same ledger at the hub and every store', `${m}: ${id} at ${storeId}, not at the hub`, { from: storeId, at: 'hub' });
    }
  }

  const incidents = ((await admin.get('/incidents')).body.incidents ?? []) as { _id: string; kind: string; status: string; memberId?: string; details?: { code?: string } }[];
  const doubles = new Map<string, number>();
  for (const i of incidents.filter((i) => i.kind === 'coupon_double_redeem')) doubles.set(String(i.details?.code), (doubles.get(String(i.details?.code)) ?? 0) + 1);
  for (const [code, at] of redemptions) {
    const want = at.length > 1 ? 1 : 0;
    const got = doubles.get(code) ?? 0;
    // A lost answer may hide a second redemption: then one incident or none, never two.
    if (inDoubt.coupons.has(code) ? got > 1 : got !== want) add('every double redemption is exactly one incident', `coupon ${code} acknowledged at ${at.join(', ')}: ${got} coupon_double_redeem incidents`);
  }
  const over = new Map<string, number>();
  const overIds = new Map<string, string[]>();
  // One the hub withdrew (late facts showed no overspend; hub/incidents.ts) is not an incident.
  for (const i of incidents.filter((i) => i.kind === 'overspend' && i.status !== 'withdrawn')) {
    over.set(String(i.memberId), (over.get(String(i.memberId)) ?? 0) + 1);
    overIds.set(String(i.memberId), [...(overIds.get(String(i.memberId)) ?? []), `${i._id}: ${String((i as { summary?: string }).summary)}`]);
  }
  const spent = overspent(facts, initial);
  for (const m of new Set([...spent, ...over.keys()])) {
    const want = spent.has(m) ? 1 : 0;
    const got = over.get(m) ?? 0;
    if (inDoubt.members.has(m) ? got <= 1 : got === want) continue;
    // What the stores acknowledged, in order, so a disagreement can be told from the report alone.
    const t0 = facts[0]?.at ?? 0;
    const acked = (byMember.get(m) ?? []).map((f) => `${f.storeId} ${f.kind} ${f.delta >= 0 ? '+' : ''}${f.delta} @${((f.at - t0) / 1000).toFixed(1)}s`);
    add('every overspend is exactly one incident', `${m}: ${want ? 'went below zero' : 'never below zero'} in acknowledged order (from ${initial.get(m) ?? 0}: ${acked.slice(0, 60).join(', ')}${acked.length > 60 ? `, … ${acked.length - 60} more` : ''}), ${got} overspend incidents${got ? ` (${overIds.get(m)!.join('; ')})` : ''}`);
  }
  return { violations: v, checked: members.length };
}

function count(xs: Violation[], key: (x: Violation) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) {
    const k = key(x);
    if (k) bump(out, k);
  }
  return out;
}

/** The report as Markdown, for the bench and for a failing test's output. */
export function formatChaos(r: ChaosReport): string {
  const kv = (m: Record<string, number>) => Object.entries(m).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const checks = new Map<string, number>();
  for (const x of r.violations) checks.set(x.check, (checks.get(x.check) ?? 0) + 1);
  return [
    `### Chaos (${r.stores} stores and the hub, ${r.seconds} s of traffic, seed ${r.seed})`,
    '',
    `- acknowledged facts: ${kv(r.facts)}`,
    `- faults injected: ${kv(r.faults)} (clock: ${r.clockSkew})`,
    `- POS answers: ${kv(r.requests.byStatus)}; refusals by code: ${kv(r.requests.byCode)}; unreachable (node down) ${r.requests.unreachable}; timed out ${r.requests.timeouts}; writes in doubt (answer lost) ${r.requests.inDoubt}; members with writes overlapping in time ${r.requests.overlapping}`,
    `- coupons issued at the hub ${r.coupons.issued}: not at every chosen till within 10 s ${r.coupons.notAtTill}; redeemed once ${r.coupons.redeemedOnce}; the same coupon acknowledged at two tills at once ${r.coupons.redeemedTwice} (one of two refused ${r.coupons.refusedAtSecondTill})`,
    `- members below zero across stores in acknowledged order (overspent): ${r.overspentMembers}`,
    `- incidents: ${kv(r.incidents)}`,
    ...r.quarantined.map((q) => `  - not taken in: ${q}`),
    `- ${r.converged ? `converged ${(r.convergeMs / 1000).toFixed(1)} s after the last heal` : `NOT converged ${(r.convergeMs / 1000).toFixed(1)} s after the last heal`} (${r.checkedMembers} members checked)`,
    `- violations: ${r.violations.length === 0 ? 'none' : [...checks].map(([c, n]) => `${c} ×${n}`).join('; ')}`,
    ...(r.violations.length ? [`- violations by the store that acknowledged the fact: ${kv(count(r.violations, (x) => x.from))}; by where it is lacking: ${kv(count(r.violations, (x) => x.at))}`] : []),
    ...[...checks.keys()].flatMap((c) => r.violations.filter((x) => x.check === c).slice(0, 4).map((x) => `  - ${x.check}: ${x.detail}`)),
    ...(r.shownThenUnknown.length ? [`- a member the store had shown, then refused as unknown there: ${r.shownThenUnknown.length}`, ...r.shownThenUnknown.slice(0, 10).map((e) => `  - ${e.slice(0, 300)}`)] : []),
    ...(r.converged ? [] : [`- sync at the end: ${Object.entries(r.syncAtEnd).map(([id, x]) => `${id} ${JSON.stringify(x)}`).join('; ')}`]),
    ...(r.converged ? [] : Object.entries(r.storeLogs).flatMap(([id, lines]) => (lines.length ? [`- ${id} logged: ${lines.join(' | ')}`] : []))),
    ...(r.violations.length ? [`- faults, in order: ${r.faultLog.map((l) => l.slice(11, 19) + l.slice(24).replace(' fault', '')).join('; ')}`] : []),
    ...(r.unhandled.length ? ['- unhandled rejections or exceptions logged:', ...r.unhandled.map((l) => `  - ${l}`)] : []),
    ...(r.serverErrors.length ? ['- 5xx and harness errors:', ...r.serverErrors.slice(0, 20).map((e) => `  - ${e.slice(0, 400)}`)] : []),
  ].join('\n');
}
