import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, edgeCliOk, lastLine } from '../support/edge-node.ts';
import { signInGuide } from '../support/guide-session.ts';
import { adminClient, eventually, type HubProcess } from '../support/hub.ts';
import { NIGHTLY_WHEN_ASKED, recomputeProfiles, startTwoStoreFleet, stopFleet, type FleetStore } from '../support/fleet.ts';

/*
 * Issue 12's "what reaches the stores" with a real hub and real nodes: a member's purchases give
 * them a stage and an RFM segment at the hub, the co-purchase model (two other members bought
 * beans with a grinder) recommends the grinder to a member who bought beans only, S001's replica
 * receives the member's profile document and the guide's member page shows it, and a nightly
 * recompute with no new facts writes no document.
 */

let hubDir: string;
let hub: HubProcess;
let stores: FleetStore[] = [];
const pos = () => client(stores[0]!.edge!.url, stores[0]!.token);
const line = (sku: string, category: string, yuan: number) => ({ sku, category, qty: 1, unitPrice: yuan * 100 });

beforeAll(async () => {
  // The nightly recompute when the test asks, twice.
  ({ hubDir, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1'], NIGHTLY_WHEN_ASKED));
}, 180_000);

afterAll(() => stopFleet(hub, hubDir, stores));

/** The hub's figures of the stores' profile documents (GET /admin/v1/profiles/status). */
async function storeDocuments(): Promise<{ fullRuns: number; lastRun: { all: boolean; documents: number; written: number } | null }> {
  const r = await adminClient(hub).get('/profiles/status');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.storeDocuments;
}

it('purchases give a stage, an RFM segment and recommendations; the store receives them once; a recompute without new facts writes nothing', { timeout: 400_000 }, async () => {
  const join = async (phone: string) => {
    const r = await pos().post('/v1/members', { phone });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.member.id as string;
  };
  const me = await join('+86 137 0000 7001');
  const a = await join('+86 137 0000 7002');
  const b = await join('+86 137 0000 7003');
  let n = 0;
  const buy = async (memberId: string, lines: ReturnType<typeof line>[]) => {
    const r = await pos().post('/v1/checkouts', { receiptNo: `SP${++n}`, memberId, lines });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  };
  for (const m of [a, b]) await buy(m, [line('BEANS-1KG', 'coffee/beans', 120), line('GRINDER-X', 'coffee/tools', 399)]);
  await buy(me, [line('BEANS-1KG', 'coffee/beans', 120)]);

  // At the hub: the stage and the RFM of the golden member.
  const admin = adminClient(hub);
  let last: unknown;
  const profile = await eventually(async () => {
    const r = await admin.get(`/members/${me}/profile`);
    last = r.body;
    return r.status === 200 && r.body.profile.orders === 1 ? r.body.profile : undefined;
  }, 60_000, 'the profile counts the purchase').catch((err) => {
    throw new Error(`${err}: ${JSON.stringify(last)}`);
  });
  expect(profile.stage).toBe('first_purchase');
  expect(profile.rfmSegment).toEqual(expect.any(String));
  for (const k of ['rfmR', 'rfmF', 'rfmM']) expect(profile[k]).toBeGreaterThanOrEqual(1);
  // A member without a purchase is a member, with no RFM.
  const idle = await join('+86 137 0000 7004');
  const idleProfile = await eventually(async () => {
    const r = await admin.get(`/members/${idle}/profile`);
    return r.status === 200 ? r.body.profile : undefined;
  }, 60_000, 'the idle member');
  expect(idleProfile.stage).toBe('member');
  expect(idleProfile.rfmSegment).toBeUndefined();

  // The stage changes are on the timeline, with their cause.
  const timeline = await admin.get(`/members/${me}/timeline?limit=200`);
  expect(timeline.status).toBe(200);
  const stages = timeline.body.entries.filter((e: any) => e.kind === 'stage_change');
  expect(stages.map((e: any) => e.note)).toEqual([expect.stringMatching(/^- → member \(registration/), expect.stringMatching(/^member → first_purchase \(purchase order:S001:/)]);

  // The guide's page at S001 shows what the hub projected, once the nightly model recommends the grinder.
  await recomputeProfiles(admin);
  const password = lastLine(await edgeCliOk(['guide', 'add', 'sp-guide', '--data', stores[0]!.dir]));
  const { cookie } = await signInGuide(stores[0]!.edge!.url, 'sp-guide', password);
  let html = '';
  await eventually(
    async () => {
      html = await (await fetch(`${stores[0]!.edge!.url}/guide/m/${me}`, { headers: { cookie } })).text();
      return html.includes('data-recommend="GRINDER-X"') ? true : undefined;
    },
    60_000,
    'the guide page shows the recommendation',
    500,
  ).catch((err) => {
    throw new Error(`${err}: ${html.slice(html.indexOf('<main'), html.indexOf('<main') + 1500)}`);
  });
  expect(html).toContain('id="insights"');
  expect(html).toContain('data-stage="first_purchase"');
  expect(html).toMatch(/data-stage-label="true">First purchase</);
  expect(html).toContain(`data-segment="${profile.rfmSegment}"`);
  expect(html).toContain('Buys most: coffee/beans');
  // Never what they bought already.
  expect(html).not.toContain('data-recommend="BEANS-1KG"');

  // The next nightly run, with no new facts: every document checked, none written.
  const before = await storeDocuments();
  await recomputeProfiles(admin);
  const after = await storeDocuments();
  expect(after.fullRuns).toBe(before.fullRuns + 1);
  const pass = after.lastRun;
  expect(pass).toMatchObject({ all: true, written: 0 });
  expect(pass!.documents).toBeGreaterThanOrEqual(4);
  // And the page says the same.
  const again = await (await fetch(`${stores[0]!.edge!.url}/guide/m/${me}`, { headers: { cookie } })).text();
  expect(again).toContain('data-recommend="GRINDER-X"');
});
