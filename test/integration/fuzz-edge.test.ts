import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyRequest, edgeRoutes, formatViolations, plainRequest, probesThatSee, runFuzz, seedFrom, setupEdge, type EdgeSetup } from '../support/fuzz.ts';

/*
 * Fuzz of every route of the edge's POS API (test/support/fuzz.ts): valid, nearly valid and
 * hostile requests against a real enrolled node; every answer is checked (no 5xx, the node
 * alive, errors in the documented shape with a catalogued code, nothing written by a refusal,
 * balances finite integers, no long echo of input). A failure prints the seed:
 * FUZZ_EDGE_SEED=<seed> replays the run, FUZZ_EDGE_RUNS=<n> makes it longer.
 */

const SEED = seedFrom('FUZZ_EDGE_SEED', 20261129);
const RUNS = Number(process.env.FUZZ_EDGE_RUNS ?? 400);

let setup: EdgeSetup;
beforeAll(async () => {
  setup = await setupEdge();
}, 120_000);
afterAll(async () => {
  await setup?.stop();
});

describe('fuzz: the edge POS API', () => {
  it('the harness sees what an accepted request writes (else "a refusal wrote nothing" could not fail)', async () => {
    const write = plainRequest('POST', `/v1/members/${setup.fixture.memberIds[0]}/interactions`, 'terminal', { kind: 'checkin' });
    expect(await probesThatSee(setup.target, write)).toEqual({ status: 201, changed: ['members', 'seq'] });
  });

  it(`${RUNS} generated requests keep every invariant`, async () => {
    const report = await runFuzz(setup.target, anyRequest(edgeRoutes(setup.fixture)), { seed: SEED, runs: RUNS });
    // Every route was reached, and some requests were accepted: a fuzzer refused at the door tests nothing.
    expect([...report.byRoute.keys()].length).toBe(edgeRoutes(setup.fixture).length);
    expect([...report.byCode.keys()].some((k) => k.startsWith('201'))).toBe(true);
    expect(formatViolations(report, 'FUZZ_EDGE_SEED')).toBe('');
  }, 240_000);
});
