import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TerminalId } from '../shared/schemas/common.ts';
import { int, need, runCli, UsageError } from '../shared/cli/args.ts';
import { DEFAULT_TEMPLATES } from '../shared/schemas/coupon.ts';
import { AppError } from '../shared/errors.ts';
import { createLog } from '../shared/cli/log.ts';
import { initNode } from './init-node.ts';
import { NodeConfigSchema, paths } from './node-dir.ts';
import { openNode, serveNode } from './node.ts';
import { progressPrinter } from '../shared/cli/progress.ts';
import { seedMembers } from './seed.ts';
import { issueCoupon } from './services/coupons.ts';
import { addTerminal, listTerminals, revokeTerminal } from './terminals.ts';
import { addGuide, GuideName, listGuides, revokeGuide } from './guide/accounts.ts';
import { existsSync } from 'node:fs';
import { doctor } from './doctor.ts';
import { enroll } from './enroll.ts';
import { warnIfMinCost } from '../shared/passwords.ts';

const USAGE = `usage: npm run edge -- <command> [options]

  init --store ID --data DIR [--tz Asia/Shanghai]   create a node's data dir with default rules
  terminal add --data DIR --id T1                     print a new POS terminal token (last line)
  terminal list --data DIR                            each terminal: id, created, revoked or not
  terminal revoke --data DIR --id T1                  its token stops working (within seconds while serving)
  guide add NAME --data DIR                           a guide account for the guide pages; prints its password (last line)
  guide list --data DIR                               each guide: name, created, revoked or not
  guide revoke NAME --data DIR                        the guide's sessions end and the password stops working
  seed --data DIR --members N [--seed 42]             add N synthetic members (demo, bench)
  serve --data DIR [--port 8401] [--host 127.0.0.1]   serve the API
        [--identify-rate 120] [--identify-burst 30]  identify requests per minute per terminal
        [--snapshot-interval 30]                     seconds between index snapshots
  coupon issue --data DIR --member ID --template T    issue a coupon (a node without a hub)
        [--code CODE] [--valid-days N]
  enroll --hub URL --code CODE --data DIR             join the hub: credentials, then pull the replica
  doctor --data DIR                                   check hub, credentials, clock, disk, replication

Options fall back to EDGE_DATA, EDGE_PORT, EDGE_HOST, EDGE_HUB, EDGE_IDENTIFY_RATE, EDGE_IDENTIFY_BURST.`;

const OPTIONS = {
  data: { type: 'string' },
  store: { type: 'string' },
  tz: { type: 'string' },
  id: { type: 'string' },
  members: { type: 'string' },
  seed: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'identify-rate': { type: 'string' },
  'identify-burst': { type: 'string' },
  'snapshot-interval': { type: 'string' },
  member: { type: 'string' },
  template: { type: 'string' },
  code: { type: 'string' },
  'valid-days': { type: 'string' },
  hub: { type: 'string' },
  'heartbeat-interval': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<void> {
  const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, sub, name] = positionals;
  if (o.help || !command) {
    console.log(USAGE);
    return;
  }
  // Absolute from here on: what is saved or spawned with it must not depend on the cwd.
  const data = () => resolve(need('data', o.data ?? process.env.EDGE_DATA));
  const log = createLog('edge', o.quiet ?? false);
  const nodeDir = () => {
    const dir = data();
    if (!existsSync(paths(dir).config)) throw new AppError('not_found', `${dir} is not a node data dir; run enroll (or init) first`);
    return dir;
  };
  const terminalId = () => {
    const id = need('id', o.id);
    if (!TerminalId.safeParse(id).success) throw new UsageError('--id: a letter or digit, then letters, digits, _ or -, at most 32');
    return id;
  };

  const guideName = (value: string | undefined) => {
    if (!value) throw new UsageError('the guide\'s NAME is required: guide add|revoke NAME');
    if (!GuideName.safeParse(value).success) throw new UsageError('NAME: a lower-case letter, then 1-31 lower-case letters, digits, ., _ or -');
    return value;
  };
  // Only `guide add|revoke` take a third word (the name).
  if (name !== undefined && !(command === 'guide' && (sub === 'add' || sub === 'revoke'))) throw new UsageError(`unknown command '${positionals.join(' ')}'`);

  switch (`${command}${sub ? ` ${sub}` : ''}`) {
    case 'init': {
      const dir = data();
      const config = NodeConfigSchema.parse({ format: 1, storeId: need('store', o.store), timeZone: o.tz ?? 'Asia/Shanghai', createdAt: new Date().toISOString() });
      if ((await initNode(dir, config, log)) === 'exists') {
        console.log(`${dir} is already a node of store ${config.storeId}; nothing changed`);
        return;
      }
      console.log(`initialised store ${config.storeId} in ${dir} (time zone ${config.timeZone}, default rules and ${DEFAULT_TEMPLATES.length} coupon templates)`);
      return;
    }
    case 'terminal add': {
      const dir = nodeDir();
      const id = terminalId();
      const token = await addTerminal(dir, id, new Date());
      console.log(`terminal ${id} added; its token (shown once, store it in the POS):`);
      console.log(token);
      return;
    }
    case 'terminal list': {
      const terminals = await listTerminals(nodeDir());
      if (terminals.length === 0) return console.log(`no terminals yet; 'terminal add --id T1' adds one`);
      const width = Math.max(2, ...terminals.map((t) => t.id.length));
      console.log(`${'id'.padEnd(width)}  created                   status`);
      for (const t of terminals) console.log(`${t.id.padEnd(width)}  ${t.createdAt.padEnd(24)}  ${t.revoked ? `revoked${t.revokedAt ? ` ${t.revokedAt}` : ''}` : 'active'}`);
      return;
    }
    case 'terminal revoke': {
      const dir = nodeDir();
      const id = terminalId();
      const { alreadyRevokedAt } = await revokeTerminal(dir, id, new Date());
      console.log(alreadyRevokedAt ? `terminal ${id} was already revoked (${alreadyRevokedAt}); nothing changed` : `terminal ${id} revoked: its token stops working within seconds, also while the node serves; 'terminal add --id ${id}' gives it a new one`);
      return;
    }
    case 'guide add': {
      const dir = nodeDir();
      const guide = guideName(name);
      const password = await addGuide(dir, guide, new Date());
      console.log(`guide ${guide} added; their one-time password (shown once; they choose their own at their first sign-in; 'guide add ${guide}' again gives a new one), for /guide on this node:`);
      console.log(password);
      return;
    }
    case 'guide list': {
      const guides = await listGuides(nodeDir());
      if (guides.length === 0) return console.log(`no guides yet; 'guide add NAME' adds one`);
      const width = Math.max(4, ...guides.map((g) => g.name.length));
      console.log(`${'name'.padEnd(width)}  created                   status`);
      for (const g of guides) console.log(`${g.name.padEnd(width)}  ${g.createdAt.padEnd(24)}  ${g.revoked ? `revoked${g.revokedAt ? ` ${g.revokedAt}` : ''}` : 'active'}`);
      return;
    }
    case 'guide revoke': {
      const dir = nodeDir();
      const guide = guideName(name);
      const { alreadyRevokedAt } = await revokeGuide(dir, guide, new Date());
      console.log(alreadyRevokedAt ? `guide ${guide} was already revoked (${alreadyRevokedAt}); nothing changed` : `guide ${guide} revoked: signed out within a second, also while the node serves; 'guide add ${guide}' gives them a new password`);
      return;
    }
    case 'seed': {
      const count = int('members', o.members);
      const node = await openNode({ dir: data(), log });
      const bar = progressPrinter('seeding members');
      await seedMembers(node, count, { seed: int('seed', o.seed, 42), onProgress: (d) => bar.update(d, count) });
      bar.done();
      await node.close();
      console.log(`seeded ${count} members`);
      return;
    }
    case 'serve': {
      // PouchDB's HTTP adapter can leave a rejected promise unobserved when the hub drops a
      // connection mid-request (replication retries on its own): that must not take the till down.
      process.on('unhandledRejection', (err) => log.error('unhandled rejection (serving on)', { err: String((err as Error)?.message ?? err), at: String((err as Error)?.stack ?? '').split('\n').slice(1, 8).map((l) => l.trim()).join(' < ') }));
      warnIfMinCost(log);
      const started = Date.now();
      const bar = progressPrinter('loading index');
      const node = await serveNode({
        dir: data(),
        log,
        port: int('port', o.port ?? process.env.EDGE_PORT, 8401),
        host: o.host ?? process.env.EDGE_HOST ?? '127.0.0.1',
        identifyRate: {
          perMinute: int('identify-rate', o['identify-rate'] ?? process.env.EDGE_IDENTIFY_RATE, 120),
          burst: int('identify-burst', o['identify-burst'] ?? process.env.EDGE_IDENTIFY_BURST, 30),
        },
        snapshotEveryMs: 1000 * Math.max(1, int('snapshot-interval', o['snapshot-interval'], 30)),
        heartbeatEveryMs: 1000 * Math.max(1, int('heartbeat-interval', o['heartbeat-interval'], 30)),
        progress: (_phase, done, total) => bar.update(done, total),
      });
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await node.close();
        process.exit(0);
      };
      // Before the ready line: a supervisor (or a test) that stops the node on that line must find the handlers there.
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const members = node.ctx.live.index.members.size;
      console.log(`edge node of store ${node.ctx.storeId} ready at ${node.url} in ${Date.now() - started} ms (${members} members)`);
      return;
    }
    case 'coupon issue': {
      const node = await openNode({ dir: data(), log });
      try {
        const coupon = await issueCoupon(node, {
          memberId: need('member', o.member),
          templateId: need('template', o.template),
          ...(o.code ? { code: o.code.toUpperCase() } : {}),
          ...(o['valid-days'] ? { validDays: int('valid-days', o['valid-days']) } : {}),
        });
        console.log(`issued ${coupon.title} to ${coupon.memberId}, valid to ${coupon.validTo}; code:`);
        console.log(coupon.code);
      } finally {
        await node.close();
      }
      return;
    }
    case 'enroll': {
      const bars = { pull: progressPrinter('pulling the replica'), index: progressPrinter('building the index') };
      let phase: 'pull' | 'index' | undefined;
      const summary = await enroll({
        dir: data(),
        hubUrl: need('hub', o.hub ?? process.env.EDGE_HUB),
        code: o.code,
        log,
        progress: (p, done, total) => {
          if (phase && phase !== p) bars[phase].done();
          phase = p;
          bars[p].update(done, total);
        },
      });
      if (phase) bars[phase].done();
      console.log(`${summary.resumed ? 'resumed: ' : ''}store ${summary.storeId} enrolled with ${summary.hubUrl} in ${summary.seconds.toFixed(1)} s`);
      console.log(`  ${summary.documents} documents, ${summary.members} members, ${summary.coupons} coupons, rules v${summary.rulesVersion}, ${summary.templates} coupon templates`);
      console.log(`next: 'edge terminal add --data ${o.data ?? '$EDGE_DATA'} --id T1', then 'edge serve'`);
      return;
    }
    case 'doctor': {
      const checks = await doctor(data());
      for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n        fix: ${c.fix}` : ''}`);
      if (checks.some((c) => !c.ok)) process.exitCode = 1;
      return;
    }
    default:
      throw new UsageError(`unknown command '${positionals.join(' ')}'`);
  }
}

runCli(main, USAGE);
