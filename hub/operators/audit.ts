import { newId } from '../../shared/ids.ts';
import type { Log } from '../../shared/cli/log.ts';
import { safeText } from '../../shared/safe-text.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';

/** Who acted: an operator by name, or the admin token (scripts and the CLI), named `token`. */
export interface AuditActor {
  kind: 'operator' | 'token';
  name: string;
}

/** What a caller tells the audit log; the log adds the id and the time. */
export interface AuditInput {
  actor: AuditActor;
  /** What: `POST /admin/v1/stores/:id/disable` (the route's pattern), or a console event. */
  method: string;
  route: string;
  /** The id acted on (a store, a member, an operator), when there is one. */
  target?: string;
  /** login, login_failed, lockout, logout, password_changed, or absent for an admin call. */
  event?: string;
  /** Why a login failed (unknown, disabled, wrong_password, locked): for whoever reads the log, never for the caller. */
  detail?: string;
  /** The HTTP status answered: what came of it. */
  status: number;
  /** From where: the client's address as the hub's socket saw it, and X-Forwarded-For as sent (a proxy's claim, not checked). */
  ip: string;
  forwardedFor?: string;
}
export type AuditEntry = Doc & AuditInput & { type: 'audit'; at: string };

/** `audit:` + a time-ordered id (shared/ids.ts): the newest first is one descending range read. */
export const AUDIT_ID = /^audit:[0-9A-HJKMNP-TV-Z]{26}$/;

/** Entries stored in one write at most: a burst of admin calls is a few writes, not one each. */
const AUDIT_BATCH = 500;
/**
 * Writes start at most this often: a steady stream of calls (a script posting records one at a
 * time) is one write per interval, not one each beside every call's own write. A call after a
 * quiet spell is written at once.
 */
const AUDIT_WRITE_INTERVAL_MS = 100;

/**
 * The audit log (hub-audit). Entries hold names, routes, ids and addresses, never a password,
 * token, cookie or CSRF token: the callers pass only those fields, and text from the request is
 * clipped.
 *
 * Entries are stored in the background, those that arrive meanwhile together (decision 035): an
 * admin call's answer does not wait for its entry, which cost as much as the call's own write;
 * and writes start at most every 100 ms, so a stream of calls does not double the database's work.
 * Reading the log and stopping the hub wait for every entry given so far.
 */
export class AuditLog {
  private readonly queue: { entry: AuditEntry; stored: () => void }[] = [];
  private writing: Promise<void> | undefined;
  private lastWriteStarted = -Infinity;

  constructor(
    private readonly couch: Couch,
    private readonly clock: () => Date,
    private readonly log: Log,
    private readonly writeIntervalMs = AUDIT_WRITE_INTERVAL_MS,
  ) {}

  /**
   * Records an entry; the promise settles once it is stored. A failure to store it is logged,
   * never turned into the caller's error (the action is done).
   */
  record(input: AuditInput): Promise<void> {
    const now = this.clock();
    const entry: AuditEntry = {
      _id: newId(now, 'audit:'),
      type: 'audit',
      at: now.toISOString(),
      ...input,
      actor: { kind: input.actor.kind, name: safeText(input.actor.name, 64) },
      ...(input.target !== undefined ? { target: safeText(input.target, 200) } : {}),
      ...(input.forwardedFor !== undefined ? { forwardedFor: safeText(input.forwardedFor, 200) } : {}),
    };
    return new Promise((stored) => {
      this.queue.push({ entry, stored });
      this.writeQueued();
    });
  }

  /** Settles once every entry recorded so far is stored (or its failure logged). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private writeQueued(): void {
    if (this.writing) return;
    const wait = this.lastWriteStarted + this.writeIntervalMs - performance.now();
    const written = wait > 0 ? new Promise((r) => setTimeout(r, wait)).then(() => this.writeAll()) : this.writeAll();
    this.writing = written.finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.writeQueued();
    });
  }

  /** Writes what is queued: full batches straight on, the rest once (what comes meanwhile waits for the interval). */
  private async writeAll(): Promise<void> {
    for (let more = true; more && this.queue.length > 0; ) {
      const batch = this.queue.splice(0, AUDIT_BATCH);
      more = this.queue.length >= AUDIT_BATCH;
      this.lastWriteStarted = performance.now();
      try {
        await this.couch.insertNew(DB.audit, batch.map((b) => b.entry));
      } catch (err) {
        for (const { entry } of batch) this.log.error('audit entry not stored', { route: entry.route, actor: entry.actor.name, status: entry.status, err: String(err) });
      }
      for (const b of batch) b.stored();
    }
  }

  /** Entries newest first, `limit` of them, older than the entry `before` when given (paging). */
  async list(opts: { limit: number; before?: string | undefined }): Promise<{ entries: AuditEntry[]; next: string | null }> {
    await this.settled();
    const res = await this.couch.db(DB.audit).list({ descending: true, include_docs: true, startkey: opts.before ?? 'audit:\ufff0', endkey: 'audit:', limit: opts.limit + 1 });
    const entries = res.rows.flatMap((r) => (r.doc && r.id !== opts.before ? [r.doc as unknown as AuditEntry] : [])).slice(0, opts.limit);
    const more = res.rows.filter((r) => r.id !== opts.before).length > opts.limit;
    return { entries: entries.map(({ _rev, ...e }) => e as AuditEntry), next: more ? entries[entries.length - 1]!._id : null };
  }
}
