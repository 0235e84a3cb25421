import { localDate } from '../../shared/local-time.ts';
import type { ProfileAttributes } from '../../shared/profile/metrics.ts';
import type { IdentityService } from '../identity/service.ts';
import type { MemberDirectory } from './base.ts';

/** Sources whose records are memberships (a store registration, the CRM's members). */
const MEMBERSHIP_SOURCES: ReadonlySet<string> = new Set(['pos', 'crm']);

/**
 * One-ID's resolver as the profile base reads it: a golden member's source ids are its records'
 * ids (a store member's facts are filed under `pos:<id>`, its registration's record), its
 * attributes the survivorship profile (shared/one-id/survivorship.ts) and the city of its home
 * store in the org tree.
 */
export function identityDirectory(identity: IdentityService, cityOf: (storeId: string) => string | undefined, timeZone: string): MemberDirectory {
  return {
    goldenOf: (source) => identity.goldenOf(source),
    goldenIds: () => identity.goldenIds(),
    slices: (size) => identity.goldenIdSlices(size),
    count: () => identity.goldenCount,
    has: (goldenId) => identity.hasGolden(goldenId),
    member(goldenId) {
      const m = identity.goldenMember(goldenId);
      if (!m) return undefined;
      let registered: string | undefined;
      for (const r of m.records) {
        const at = r.profile.registeredAt;
        if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) {
          const day = localDate(at, timeZone);
          if (registered === undefined || day < registered) registered = day;
        }
      }
      const home = m.profile.homeStoreId;
      const attributes: ProfileAttributes = {
        gender: m.profile.gender === 'M' || m.profile.gender === 'F' ? m.profile.gender : 'U',
        birthday: m.profile.birthday,
        registeredDay: registered,
        homeStore: home,
        city: home ? cityOf(home) : undefined,
        isMember: m.records.some((r) => r.memberId !== undefined || MEMBERSHIP_SOURCES.has(r.source)),
      };
      return { sources: m.records.map((r) => r.id), attributes };
    },
  };
}
