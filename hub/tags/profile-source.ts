import type { Profile } from '../../shared/profile/fields.ts';

/**
 * Where the hub reads golden members' profiles from: the metrics engine (hub/profile/, decision
 * 021) provides it; tag previews read through it and never build profiles themselves.
 */
export interface ProfileSource {
  /** Every golden member's profile as of now: [golden id, profile]. */
  profiles(): Iterable<readonly [string, Profile]>;
}

/** The metrics engine's profiles, each golden member's computed as the preview reaches it. */
export function engineProfiles(engine: { members(): readonly (string | undefined)[]; profile(goldenId: string): Profile | undefined }): ProfileSource {
  return {
    *profiles() {
      for (const id of engine.members()) {
        const profile = id === undefined ? undefined : engine.profile(id);
        if (profile) yield [id!, profile] as const;
      }
    },
  };
}
