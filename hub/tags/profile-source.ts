import type { Profile } from '../../shared/profile/fields.ts';

/**
 * Where the hub reads golden members' profiles from: the metrics engine (hub/profile/, decision
 * 021) provides it; tag previews read through it and never build profiles themselves.
 */
export interface ProfileSource {
  /** Every golden member's profile as of now: [golden id, profile]. */
  profiles(): Iterable<readonly [string, Profile]>;
}

/** A hub without the engine wired: no profiles, so a preview counts 0 of 0. */
export const NO_PROFILES: ProfileSource = { profiles: () => [] };
