import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeError, isAuthError, judgeSync, restartDelay, type DirectionView } from '../../shared/sync-health.ts';
import { fleetState } from '../../hub/fleet.ts';

const ok: DirectionView = { error: null, idle: true };
const direction = fc.record({ error: fc.option(fc.string({ minLength: 1 }), { nil: null }), idle: fc.boolean() });
const facts = fc.record({
  push: direction,
  pull: direction,
  pendingUp: fc.nat(100_000),
  pushProgressAt: fc.nat(1e12),
  now: fc.nat(1e12),
  stallMs: fc.integer({ min: 1, max: 600_000 }),
});

describe('judgeSync', () => {
  it('is online only when both directions work and have caught up and nothing pending is stuck', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const { state, lastError } = judgeSync(f);
        const stuck = f.pendingUp > 0 && f.now - f.pushProgressAt > f.stallMs;
        const healthy = !f.push.error && !f.pull.error && !stuck;
        if (state === 'online') expect(healthy && f.push.idle && f.pull.idle).toBe(true);
        // Not online always says why; online never carries an old error.
        expect(state === 'offline').toBe(lastError !== null);
        if (!healthy) expect(state).toBe('offline');
      }),
    );
  });

  it('names the failing direction, the push first', () => {
    expect(judgeSync({ push: { error: 'unauthorized: no', idle: false }, pull: { error: 'x', idle: false }, pendingUp: 0, pushProgressAt: 0, now: 0, stallMs: 1 }).lastError).toBe('push: unauthorized: no');
    expect(judgeSync({ push: ok, pull: { error: 'timeout', idle: false }, pendingUp: 0, pushProgressAt: 0, now: 0, stallMs: 1 }).lastError).toBe('pull: timeout');
  });

  it('pending documents that do not drain make the node offline, with how many and since when', () => {
    const r = judgeSync({ push: ok, pull: ok, pendingUp: 12, pushProgressAt: Date.parse('2026-01-01T00:00:00Z'), now: Date.parse('2026-01-01T00:00:31Z'), stallMs: 30_000 });
    expect(r).toEqual({ state: 'offline', lastError: 'push: 12 documents pending, no progress since 2026-01-01T00:00:00.000Z' });
    expect(judgeSync({ push: ok, pull: ok, pendingUp: 12, pushProgressAt: 0, now: 29_000, stallMs: 30_000 }).state).toBe('online');
    expect(judgeSync({ push: { error: null, idle: false }, pull: ok, pendingUp: 1, pushProgressAt: 0, now: 1, stallMs: 30_000 }).state).toBe('catching_up');
  });
});

describe('restartDelay', () => {
  it('grows, stays within its bounds, and waits longer after an authentication error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.boolean(), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, auth, random) => {
        const d = restartDelay(attempt, auth, random);
        expect(d).toBeGreaterThanOrEqual(auth ? 4000 : 800);
        expect(d).toBeLessThanOrEqual(auth ? 18_000 : 12_000);
        expect(restartDelay(attempt + 1, auth, random)).toBeGreaterThanOrEqual(d);
        expect(restartDelay(attempt, true, random)).toBeGreaterThanOrEqual(restartDelay(attempt, false, random));
      }),
    );
    expect(restartDelay(1, false, 0.5)).toBe(1000);
    expect(restartDelay(100, true, 0.5)).toBe(15_000);
  });
});

describe('errors of the replicator', () => {
  it('tells authentication errors by status or CouchDB name', () => {
    expect(isAuthError({ status: 401, name: 'unauthorized' })).toBe(true);
    expect(isAuthError({ name: 'Forbidden' })).toBe(true);
    expect(isAuthError({ status: 503, name: 'unavailable' })).toBe(false);
    expect(isAuthError(undefined)).toBe(false);
    // What PouchDB made of the gateway's old error bodies: never a crash here.
    expect(isAuthError({ name: { code: 'unauthorized' } })).toBe(false);
  });

  it('describes any error in one short line', () => {
    expect(describeError({ name: 'unauthorized', reason: 'send the store credentials' })).toBe('unauthorized: send the store credentials');
    expect(describeError(new Error('fetch failed'))).toBe('fetch failed');
    expect(describeError(undefined)).toBe('ended without an error');
    // fast-check found it (seed -1851740018): String() throws for an object whose toString is not a function.
    expect(describeError({ toString: {} })).toBe('[object Object]');
    fc.assert(fc.property(fc.anything(), (e) => typeof describeError(e) === 'string' && describeError(e).length <= 300));
  });
});

describe('fleetState', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const enrolled = { disabled: false, enrolled: true };
  const hb = (ageS: number, state: string, lastError: string | null = null) => ({ clock: new Date(now.getTime() - ageS * 1000).toISOString(), heartbeatEverySeconds: 30, sync: { state, lastError } });

  it("takes the node's word only while its heartbeats arrive and the store is enabled", () => {
    expect(fleetState(enrolled, hb(10, 'online'), now)).toEqual({ state: 'online', reason: null });
    expect(fleetState(enrolled, hb(100, 'online'), now).state).toBe('offline');
    expect(fleetState(enrolled, hb(100, 'online'), now).reason).toContain('no heartbeat for 100 s');
    expect(fleetState({ ...enrolled, disabled: true }, hb(1, 'online'), now).state).toBe('disabled');
    expect(fleetState(enrolled, hb(1, 'offline', 'push: unauthorized: x'), now)).toEqual({ state: 'offline', reason: 'push: unauthorized: x' });
    expect(fleetState(enrolled, hb(1, 'catching_up'), now).state).toBe('catching_up');
    expect(fleetState(enrolled, undefined, now).state).toBe('unknown');
    expect(fleetState({ disabled: false, enrolled: false }, undefined, now).state).toBe('not_enrolled');
  });

  it('is online only for a fresh heartbeat that says online, whatever the heartbeat says', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: -10, max: 10_000 }), fc.integer({ min: 1, max: 600 }), fc.anything(), (disabled, isEnrolled, ageS, every, said) => {
        const beat = { clock: new Date(now.getTime() - ageS * 1000).toISOString(), heartbeatEverySeconds: every, sync: { state: said as string } };
        const r = fleetState({ disabled, enrolled: isEnrolled }, beat, now);
        if (r.state === 'online') expect(!disabled && isEnrolled && said === 'online' && ageS <= every * 3).toBe(true);
        if (r.state === 'offline') expect(r.reason).toEqual(expect.any(String));
      }),
    );
  });
});
