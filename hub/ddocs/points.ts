/**
 * `_design/points` in hub-facts: points ledger entries summed by the store's business day and
 * reason, for the dashboard's points issued and redeemed. The map function is source text
 * (CouchDB and pouchdb-server evaluate it); test/unit/points-ddoc.test.ts runs it.
 */
export const POINTS_DDOC = {
  _id: '_design/points',
  /** Raised when a view changes, so a running hub replaces the stored design document. */
  version: 1,
  views: {
    by_day: {
      map: `function (doc) {
  if (doc.type === 'pts' && typeof doc.day === 'string' && typeof doc.reason === 'string' && typeof doc.delta === 'number') emit([doc.day, doc.reason], doc.delta);
}`,
      reduce: '_sum',
    },
  },
} as const;
