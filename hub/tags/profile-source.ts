import type { Profile } from '../../shared/profile/fields.ts';
import type { MemberList } from '../profile/member-numbers.ts';

/**
 * Where the hub reads golden members' profiles from: the metrics engine (hub/profile/, decision
 * 021) provides it; tag previews read through it and never build profiles themselves.
 */
export interface ProfileSource {
  /** Every golden member's profile as of now: [golden id, profile]. */
  profiles(): Iterable<readonly [string, Profile]>;
}

/** The metrics engine's profiles, each golden member's computed as the preview reaches it. */
export function engineProfiles(engine: { members(): MemberList; profile(goldenId: string): Profile | undefined }): ProfileSource {
  return {
    *profiles() {
      const ids = engine.members();
      for (let n = 0; n < ids.length; n++) {
        const id = ids.at(n);
        const profile = id === undefined ? undefined : engine.profile(id);
        if (profile) yield [id!, profile] as const;
      }
    },
  };
}
