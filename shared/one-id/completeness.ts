import { COMPLETENESS_FIELDS, type SourceRecord } from './record.ts';

type Field = (typeof COMPLETENESS_FIELDS)[number];

const has: Record<Field, (r: SourceRecord) => boolean> = {
  phone: (r) => r.identities.phone !== undefined,
  cardNo: (r) => r.identities.cardNo !== undefined,
  name: (r) => r.profile.name !== undefined,
  gender: (r) => r.profile.gender !== undefined,
  birthday: (r) => r.profile.birthday !== undefined,
  region: (r) => r.profile.region !== undefined,
  registeredAt: (r) => r.profile.registeredAt !== undefined,
  homeStoreId: (r) => r.profile.homeStoreId !== undefined,
};

/**
 * The share of the standard member fields a record fills, 0 to 1.
 *
 * @example completeness({ ...record, identities: { phone: '+8613800138000' }, profile: { name: '张三' } }) // 0.25
 */
export function completeness(record: SourceRecord): number {
  let n = 0;
  for (const f of COMPLETENESS_FIELDS) if (has[f](record)) n++;
  return n / COMPLETENESS_FIELDS.length;
}
