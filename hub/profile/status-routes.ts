import { Hono } from 'hono';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';

/**
 * GET /profiles/status: the profile engine's last full build, the RFM cuts it kept, and the last
 * pass over the stores' profile documents (how many checked, how many written: a recompute with
 * no new facts writes none), and the last recording of tag events (members whose tags changed).
 * For operations and the tests. POST /profiles/recompute runs the nightly recompute now.
 */
export function profileStatusRoutes(ctx: HubContext) {
  const admin = new Hono<AdminEnv>();
  admin.get('/profiles/status', (c) =>
    c.json({
      engine: ctx.profiles.status(),
      rfm: ctx.profileParts?.rfmStages.boundaries,
      derived: ctx.profileParts?.rfmStages.lastPass,
      tags: { lastRun: ctx.profileParts?.tags?.lastRun ?? null, lastFullRun: ctx.profileParts?.tags?.lastFullRun ?? null, fullRuns: ctx.profileParts?.tags?.fullRuns ?? 0 },
      storeDocuments: { lastRun: ctx.profileParts?.storeProfiles.lastRun ?? null, fullRuns: ctx.profileParts?.storeProfiles.fullRuns ?? 0 },
    }),
  );
  // Answered at once: over millions of members the run takes minutes; it is done when the status's
  // engine.builds.ended reaches its run number.
  admin.post('/profiles/recompute', (c) => {
    const { run } = ctx.profiles.runNightly();
    return c.json({ recompute: 'queued', run }, 202);
  });
  return admin;
}
