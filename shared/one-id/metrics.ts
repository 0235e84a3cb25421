import { COMPLETENESS_FIELDS } from './record.ts';

/** What One-ID reports about a resolution. */
export interface OneIdMetrics {
  records: number;
  members: number;
  /** Share of golden members whose records come from two or more sources (channels). */
  identificationRate: number;
  /** Records that no longer stand alone: records − golden members. */
  duplicatesRemoved: number;
  /** Mean completeness of the golden profiles, 0..1. */
  averageCompleteness: number;
  quarantinedKeys: number;
}

/** Channels counted apart in `OneIdSpread.byChannels`; more are counted with the last. */
export const SPREAD_CHANNELS = 4;

/** How the golden members spread: the figures behind the identification rate and the mean completeness. */
export interface OneIdSpread {
  /** Members by number of channels: [one, two, three, four or more]. */
  byChannels: number[];
  /** Members by standard fields filled: index n is n of the 8 (`COMPLETENESS_FIELDS`) filled. */
  byFieldsFilled: number[];
}

/** One-ID's figures and spread together: what GET /identity/metrics answers. */
export interface OneIdFigures {
  metrics: OneIdMetrics;
  spread: OneIdSpread;
}

/**
 * One-ID's figures counted a member at a time, so that a pass over every golden member can be
 * cut in slices (15M records would hold the hub's thread for seconds).
 *
 * @example const t = new FiguresTally(); t.add(2, 4); t.metrics(2, 0).identificationRate // 1
 */
export class FiguresTally {
  private members = 0;
  private multi = 0;
  private filled = 0;
  private readonly byChannels = new Array<number>(SPREAD_CHANNELS).fill(0);
  private readonly byFieldsFilled = new Array<number>(COMPLETENESS_FIELDS.length + 1).fill(0);

  /** A golden member whose records come from `sources` distinct sources and fill `fieldsFilled` standard fields. */
  add(sources: number, fieldsFilled: number) {
    const filled = Math.min(COMPLETENESS_FIELDS.length, Math.max(0, fieldsFilled));
    this.members++;
    if (sources >= 2) this.multi++;
    this.filled += filled;
    this.byChannels[Math.min(Math.max(sources, 1), SPREAD_CHANNELS) - 1]!++;
    this.byFieldsFilled[filled]!++;
  }

  metrics(records: number, quarantinedKeys: number): OneIdMetrics {
    const n = this.members;
    return {
      records,
      members: n,
      identificationRate: n === 0 ? 0 : this.multi / n,
      duplicatesRemoved: records - n,
      averageCompleteness: n === 0 ? 0 : this.filled / COMPLETENESS_FIELDS.length / n,
      quarantinedKeys,
    };
  }

  spread(): OneIdSpread {
    return { byChannels: [...this.byChannels], byFieldsFilled: [...this.byFieldsFilled] };
  }
}
