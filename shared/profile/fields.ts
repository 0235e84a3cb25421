/*
 * The fields of a golden member's profile that tag rules and segments may name (issue 12): the
 * contract between the metrics engine, which fills them, and the rules, which read them. A rule
 * names a field by its `name`; a field the registry does not list is refused when the rule is
 * saved, so a rule can never read a field that does not exist.
 *
 * Kinds:
 * - `int`: an integer (counts, cents, days, basis points, ages); absent when unknown (no purchase
 *   yet: no days since the last one).
 * - `day`: a local date `YYYY-MM-DD` (HQ's time zone for facts that have no store).
 * - `enum`: one of `values`.
 * - `set`: a set of strings (tags a member holds, channels used, stores visited).
 * - `scores`: a map from a key (a category path, a brand, a SKU) to an integer score; rules name
 *   one key (`categoryScore` of `coffee`): a category key also matches its sub-categories'
 *   scores summed, as a category path `coffee/beans` is under `coffee`.
 *
 * Money is integer cents, shares are basis points (10,000 = 100%), scores are integers (time-
 * decayed weights × 1,000). Refunds net out of spend, orders and items. "Orders" are store
 * receipts and imported online orders that were not cancelled; a receipt fully refunded stops
 * counting as an order.
 */

export const FIELD_KINDS = ['int', 'day', 'enum', 'set', 'scores'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FieldDef {
  name: string;
  kind: FieldKind;
  values?: readonly string[];
  /** What it means, for the rule editor's help (English; the console has both languages). */
  about: string;
}

export const LIFECYCLE_STAGES = ['fan', 'member', 'first_purchase', 'active', 'dormant', 'at_risk', 'churned', 'reactivated'] as const;
export const RFM_SEGMENTS = ['champions', 'loyal', 'potential', 'new', 'at_risk', 'cant_lose', 'hibernating', 'lost'] as const;
export const CHANNEL_KEYS = ['store', 'ecommerce', 'marketplace'] as const;

export const PROFILE_FIELDS: readonly FieldDef[] = [
  // Natural attributes (survivorship of the golden member's records).
  { name: 'gender', kind: 'enum', values: ['M', 'F', 'U'], about: 'gender, U when unknown' },
  { name: 'age', kind: 'int', about: 'age in whole years on the evaluation day' },
  { name: 'birthMonth', kind: 'int', about: 'month of birth, 1-12' },
  { name: 'city', kind: 'enum', values: [], about: 'city of the home store (org tree), or of the address' },
  { name: 'registeredDay', kind: 'day', about: 'first registration as a member, any channel' },
  { name: 'daysSinceRegistered', kind: 'int', about: 'days from the first registration to the evaluation day' },
  { name: 'tier', kind: 'enum', values: [], about: 'tier code held now' },
  { name: 'homeStore', kind: 'enum', values: [], about: 'home store id' },
  { name: 'followsOfficialAccount', kind: 'int', about: '1 when a WeChat follow is on record and no unfollow after it, else 0' },
  { name: 'isMember', kind: 'int', about: '1 when registered as a member on any channel, else 0' },
  { name: 'consents', kind: 'set', about: 'channels the member consents to be contacted on (sms, wechat, email, phone)' },
  // Consumption: orders and spend.
  { name: 'orders', kind: 'int', about: 'orders, lifetime (refunded in full: not counted)' },
  { name: 'orders30', kind: 'int', about: 'orders in the last 30 days' },
  { name: 'orders90', kind: 'int', about: 'orders in the last 90 days' },
  { name: 'orders365', kind: 'int', about: 'orders in the last 365 days' },
  { name: 'spend', kind: 'int', about: 'net spend in cents, lifetime' },
  { name: 'spend30', kind: 'int', about: 'net spend in cents, last 30 days' },
  { name: 'spend90', kind: 'int', about: 'net spend in cents, last 90 days' },
  { name: 'spend365', kind: 'int', about: 'net spend in cents, last 365 days' },
  { name: 'avgOrderValue', kind: 'int', about: 'net spend / orders, cents, lifetime' },
  { name: 'itemsPerOrder', kind: 'int', about: 'items (quantities) per order × 100, lifetime' },
  { name: 'attachRate', kind: 'int', about: 'share of orders with more than one distinct SKU, basis points' },
  { name: 'avgDiscountRate', kind: 'int', about: 'discounts (coupons, promotions, points as cash) / list price, basis points' },
  { name: 'firstPurchaseDay', kind: 'day', about: 'day of the first order' },
  { name: 'lastPurchaseDay', kind: 'day', about: 'day of the last order' },
  { name: 'daysSinceLastPurchase', kind: 'int', about: 'days from the last order to the evaluation day' },
  { name: 'purchaseFrequency', kind: 'int', about: 'orders per 365 days × 100 over the span from the first order (at least 30 days) to the evaluation day' },
  { name: 'channels', kind: 'set', about: 'channels with at least one order (store, ecommerce, marketplace)' },
  { name: 'channelShare', kind: 'scores', about: 'share of orders per channel, basis points (store, ecommerce, marketplace, and each marketplace by name)' },
  { name: 'storesVisited', kind: 'set', about: 'stores with at least one receipt' },
  { name: 'mostVisitedStore', kind: 'enum', values: [], about: 'store with the most receipts (ties: the latest)' },
  { name: 'categoryScore', kind: 'scores', about: 'time-decayed spend per category path (half-life 180 days), × 1,000 per RMB' },
  { name: 'brandScore', kind: 'scores', about: 'time-decayed spend per brand' },
  { name: 'skuScore', kind: 'scores', about: 'time-decayed quantity per SKU' },
  { name: 'fullPriceShare', kind: 'int', about: 'share of item spend bought at full price (no discount, no coupon), basis points' },
  { name: 'promoShare', kind: 'int', about: 'share of item spend bought on promotion or with a coupon, basis points' },
  { name: 'couponsIssued', kind: 'int', about: 'coupons issued, lifetime' },
  { name: 'couponsRedeemed', kind: 'int', about: 'coupons redeemed, lifetime' },
  { name: 'couponRedemptionRate', kind: 'int', about: 'coupons redeemed / issued, basis points' },
  { name: 'pointsEarned', kind: 'int', about: 'points earned, lifetime' },
  { name: 'pointsSpent', kind: 'int', about: 'points spent, lifetime' },
  { name: 'pointsExpired', kind: 'int', about: 'points expired unspent, lifetime' },
  { name: 'pointsBalance', kind: 'int', about: 'points spendable now' },
  { name: 'refunds', kind: 'int', about: 'refunds, lifetime' },
  { name: 'refundRate', kind: 'int', about: 'refunded cents / gross spend, basis points' },
  { name: 'interactions90', kind: 'int', about: 'interactions (check-ins, surveys, events) in the last 90 days' },
  // Computed over the whole base, nightly and for a member between runs.
  { name: 'rfmR', kind: 'int', about: 'recency score 1-5 (quintiles of days since last purchase over the active base; 5 = most recent)' },
  { name: 'rfmF', kind: 'int', about: 'frequency score 1-5 (quintiles of orders365)' },
  { name: 'rfmM', kind: 'int', about: 'monetary score 1-5 (quintiles of spend365)' },
  { name: 'rfmSegment', kind: 'enum', values: RFM_SEGMENTS, about: 'named RFM segment' },
  { name: 'stage', kind: 'enum', values: LIFECYCLE_STAGES, about: 'lifecycle stage' },
  { name: 'tags', kind: 'set', about: 'tag codes the member holds now' },
];

const BY_NAME = new Map(PROFILE_FIELDS.map((f) => [f.name, f]));

/** The field a rule names, or undefined: never a lookup on a plain object (names come from operators). */
export function profileField(name: string): FieldDef | undefined {
  return BY_NAME.get(name);
}

/** A value of a profile field: `int` → number, `day`/`enum` → string, `set` → Set, `scores` → Map. */
export type ProfileValue = number | string | ReadonlySet<string> | ReadonlyMap<string, number>;
/** A golden member's profile as rules read it: field name → value; an absent field is unknown. */
export type Profile = ReadonlyMap<string, ProfileValue>;
