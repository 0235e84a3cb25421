import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyRequest, checkAnswer, formatViolations, hubRoutes, plainRequest, probesThatSee, runFuzz, seedFrom, send, setupHub, type HubSetup } from '../support/fuzz.ts';

/*
 * Fuzz of every route of the hub (test/support/fuzz.ts): the admin and One-ID API, the store API
 * (enroll, bundle, lookup) and the replication gateway with a store's real credentials, including
 * _bulk_docs with hostile documents. The same invariants as the edge's fuzz. A failure prints the
 * seed: FUZZ_HUB_SEED=<seed> replays the run, FUZZ_HUB_RUNS=<n> makes it longer.
 */

const SEED = seedFrom('FUZZ_HUB_SEED', 20261129);
const RUNS = Number(process.env.FUZZ_HUB_RUNS ?? 400);

let setup: HubSetup;
beforeAll(async () => {
  setup = await setupHub();
}, 120_000);
afterAll(async () => {
  await setup?.stop();
});

describe('fuzz: the hub admin, store and replication APIs', () => {
  it('the harness sees what an accepted request writes (else "a refusal wrote nothing" could not fail)', async () => {
    const template = { id: 'FT9', title: 'Harness check', terms: { kind: 'cash', valueCents: 100 }, validDays: 7 };
    expect(await probesThatSee(setup.target, plainRequest('PUT', '/admin/v1/templates/FT9', 'admin', template))).toEqual({ status: 200, changed: ['storeDb', 'templates'] });
    expect(await probesThatSee(setup.target, plainRequest('POST', '/admin/v1/stores', 'admin', { id: 'FZ9', name: 'Harness check' }))).toEqual({ status: 201, changed: ['org', 'stores'] });
    const record = { id: 'fz:harness', source: 'fz', observedAt: '2026-01-01T00:00:00.000Z', identities: { phone: '+8613700000099' }, profile: { name: 'Harness' } };
    expect(await probesThatSee(setup.target, plainRequest('POST', '/admin/v1/identity/records', 'admin', record))).toEqual({ status: 201, changed: ['identity'] });
  });

  it("the admin and One-ID routes check their path ids and the coupon's template id (found by this fuzzer)", async () => {
    const long = 'A'.repeat(10_000);
    const cases: [string, string, number, string, unknown?][] = [
      ['GET', `/admin/v1/members/${long.slice(0, 2000)}`, 404, 'member_not_found'],
      ['GET', `/admin/v1/stores/${long.slice(0, 2000)}/bundle`, 404, 'store_not_found'],
      ['POST', '/admin/v1/stores/..%2F/disable', 404, 'store_not_found'],
      ['GET', `/admin/v1/identity/members/${long.slice(0, 2000)}`, 404, 'member_not_found'],
      ['POST', `/admin/v1/identity/members/${long.slice(0, 2000)}/split`, 404, 'member_not_found', { records: ['fz:1'] }],
      ['GET', `/admin/v1/identity/records/${long.slice(0, 2000)}`, 404, 'not_found'],
      ['GET', '/admin/v1/imports/toString', 404, 'import_not_found'],
      ['DELETE', `/admin/v1/identity/quarantine/${long.slice(0, 2000)}`, 400, 'validation_failed'],
      // Unbounded, the template id went to the database as a URL too long for it: a 500.
      ['POST', '/admin/v1/coupons', 400, 'validation_failed', { memberId: setup.fixture.memberIds[0], templateId: long }],
    ];
    for (const [method, path, status, code, body] of cases) {
      const req = plainRequest(method, path, 'admin', body);
      const res = await send(setup.target, { ...req, echoes: [path, ...(body ? [JSON.stringify(body)] : [])] });
      expect({ path: path.slice(0, 60), status: res.status, code: (res.json as any)?.error?.code }).toEqual({ path: path.slice(0, 60), status, code });
      expect(checkAnswer(req, res)).toEqual([]);
      expect(res.text.length).toBeLessThan(300);
    }
  });

  it('the gateway refuses a path pouchdb-server cannot decode, in CouchDB\'s shape (found by this fuzzer)', async () => {
    for (const [method, rest, body] of [['GET', '_local/%ED%A0%80'], ['PUT', '_local/%ZZ', { _id: '_local/fz-checkpoint', last_seq: '1' }], ['GET', 'member%ZZ']] as const) {
      const req = plainRequest(method, `/couch/${setup.fixture.storeDb}/${rest}`, 'store', body);
      const res = await send(setup.target, req);
      expect({ rest, status: res.status, json: res.json }).toEqual({ rest, status: 400, json: { error: 'bad_request', reason: expect.any(String) } });
      expect(checkAnswer(req, res)).toEqual([]);
    }
  });

  it(`${RUNS} generated requests keep every invariant`, async () => {
    const report = await runFuzz(setup.target, anyRequest(hubRoutes(setup.fixture)), { seed: SEED, runs: RUNS });
    expect([...report.byRoute.keys()].length).toBe(hubRoutes(setup.fixture).length);
    expect([...report.byCode.keys()].some((k) => k.startsWith('201'))).toBe(true);
    expect(formatViolations(report, 'FUZZ_HUB_SEED')).toBe('');
  }, 240_000);
});
