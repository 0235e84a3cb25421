import { validate, schedule, type ScheduledTask } from 'node-cron';
import type { Log } from '../shared/cli/log.ts';
import { localDate } from '../shared/local-time.ts';
import type { MemberDoc } from '../shared/schemas/documents.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB } from './couch/databases.ts';
import type { HubMembers } from './members.ts';
import { currentRules } from './rules.ts';
import { HUB_GIFT_TIME_ZONE, issueHubGifts } from './tier-gifts.ts';

/** When the hub looks for members whose birthday month has begun: 00:30 at HQ every day. */
export const BIRTHDAY_SWEEP = '30 0 * * *';
/** Members given to issueHubGifts at once: each is read with its facts. */
const BATCH = 200;

interface SweepDoc extends Doc {
  type: 'sweep';
  month: string;
  /** The last member document looked at: a sweep cut off goes on from there. */
  after?: string;
  done: boolean;
  members: number;
  issued: number;
  at: string;
}

type Deps = { couch: Couch; members: HubMembers; clock: () => Date; log: Log };

/**
 * The birthday gift without a purchase (decision 019): once a month, the hub gives every member
 * whose birthday month it is the gift their tier's benefits name, through the same issueHubGifts
 * (and so the same deterministic ids) as a store's till: a till that gives it at a receipt first,
 * even offline, makes the hub's copy the same gift, and a member given it by the hub is not given
 * it again at the till. The sweep reads every member document once a month, keeps where it got
 * to in `sweep:birthday:<YYYY-MM>` (a stopped hub goes on from there), and is done for the month
 * when it reaches the end; members registered later in the month get theirs when they buy.
 */
export async function sweepBirthdays(deps: Deps, shouldStop: () => boolean = () => false): Promise<SweepDoc> {
  const { couch, clock } = deps;
  const month = localDate(clock(), HUB_GIFT_TIME_ZONE).slice(0, 7);
  const id = `sweep:birthday:${month}`;
  let state = (await couch.get<SweepDoc>(DB.registry, id)) ?? { _id: id, type: 'sweep', month, done: false, members: 0, issued: 0, at: clock().toISOString() };
  if (state.done) return state;
  // No tier gives a birthday gift: nothing to read the members for (a later day's run does it if the rules change).
  if (!Object.values((await currentRules(couch)).tierBenefits ?? {}).some((b) => b.birthdayGift)) return state;
  const wanted = Number(month.slice(5, 7));
  const save = async () => (state = (await couch.update<SweepDoc>(DB.registry, id, () => ({ ...state, at: clock().toISOString() })))!);
  for await (const page of couch.pages<MemberDoc & Doc>(DB.members, { startkey: state.after ?? 'member:', endkey: 'member:\ufff0' }, 1000)) {
    if (shouldStop()) return state;
    const born = page.filter((m) => m.type === 'member' && typeof m.birthday === 'string' && Number(m.birthday.slice(5, 7)) === wanted).map((m) => m.id);
    for (let i = 0; i < born.length; i += BATCH) state.issued += (await issueHubGifts(deps, born.slice(i, i + BATCH))).length;
    state.members += born.length;
    state.after = page[page.length - 1]?._id ?? state.after;
    await save();
  }
  state.done = true;
  await save();
  deps.log.info('birthday gifts: the month is swept', { month, members: state.members, issued: state.issued });
  return state;
}

/** Runs the sweep on `cron` (in HQ's time zone), one at a time; a month not swept yet is gone on with every day. */
export function startBirthdaySweeps(deps: Deps, cron = BIRTHDAY_SWEEP): { stop(): Promise<void> } {
  if (!validate(cron)) throw new Error(`birthday gifts: invalid schedule ${cron}`);
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(() => (stopped ? undefined : sweepBirthdays(deps, () => stopped))).catch((err) => deps.log.warn('birthday gifts: the sweep failed; the next one goes on', { err: String(err) }));
  };
  const task: ScheduledTask = schedule(cron, run, { timezone: HUB_GIFT_TIME_ZONE, noOverlap: true, name: 'birthday-gifts' });
  return {
    async stop() {
      stopped = true;
      await task.stop();
      await running;
    },
  };
}
