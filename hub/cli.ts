import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { int, need, runCli, UsageError } from '../shared/cli/args.ts';
import { createLog } from '../shared/cli/log.ts';
import type { OrgTree } from '../shared/org-scope.ts';
import { readAdminToken } from './hub-dir.ts';
import { IDENTITY_USAGE, identityCommand, importCommand } from './identity/cli.ts';
import { tagsCommand } from './tags/cli.ts';
import { serveHub } from './server.ts';
import { EXIT_DATABASE, startLastWords, type LastWords } from './last-words.ts';
import { limitHeapGrowth } from './heap-growth.ts';
import { validate as validateCron } from 'node-cron';
import { isTimeZone } from '../shared/local-time.ts';
import { NIGHTLY_RECOMPUTE } from './profile/engine.ts';
import { BIRTHDAY_SWEEP } from './birthday-gifts.ts';
import { warnIfMinCost } from '../shared/passwords.ts';

const USAGE = `usage: npm run hub -- <command> [options]

  serve --data DIR [--port 8400] [--host 127.0.0.1] [--mappings DIR] [--login-rate 10] [--login-burst 10]
        [--profiles-nightly '0 3 * * *'] [--profiles-zone Asia/Shanghai] [--birthday-sweep '30 0 * * *']
        [--import-thread-mb 8] [--status-interval 2]  run the hub (embedded database unless COUCH_URL);
                                                      console logins per minute per client address;
                                                      the profiles' full recompute (cron or off, zone);
                                                      birthday gifts to members who did not buy (cron at HQ);
                                                      import files this large are read on a thread of their own;
                                                      seconds between writes of DIR/hub-status.json
  store add ID --name NAME [--city C | --region R] [--tz Asia/Shanghai] [--ttl-hours 24]
                                                      add a store; prints its enrollment code (last line)
  store list | store code ID | store disable ID | store enable ID
  store move ID --city C | --region R                 put a store into a city (and its region), or a region
  org                                                 the org tree: regions, cities, stores (node ids for --scope)
  org city add NAME --region R                        a city, in one region
  seed --store ID --members N [--first K]             synthetic members with that home store (demo, bench)
  rules show | rules set --file RULES.json            loyalty rules (a new version is pushed to every store)
  template list | template put --file TEMPLATE.json   coupon templates
  products import FILE [--mapping MAPPING.json]       the product master from CSV or NDJSON (pushed to every store)
  products list [--limit 100]                         the product master, by SKU
  coupon issue --member ID --template T [--code C] [--valid-days N]
  catalogue show | catalogue set --file CATALOGUE.json the points catalogue (a new version is pushed to every store)
  pool list | pool import ID --template T --csv CODES.csv [--title TEXT] [--per-member 1]
                                                      coupon pools of a partner's codes, claimed at the tills
  fleet                                               per store: heartbeat, sync state, lag, incidents
  incidents [--status open|resolved] [--kind KIND] [--store ID]
  member export ID                                    everything about a member as JSON (PIPL; audited)
  member erase ID --reason TEXT                       erase the member's personal data everywhere (PIPL)
${IDENTITY_USAGE}
  operator add NAME --role ROLE [--scope NODE]        a console operator; prints a one-time password (last line)
  operator list | operator disable NAME | operator enable NAME
  operator reset NAME                                 a new one-time password (last line); their sessions end
  operator roles                                      the roles and their permissions
  audit [--limit 100] [--before AUDIT_ID]             who changed what, newest first
  tags list [--class natural|preference|behaviour|value]
                                                      tag rules: code, class, status, version, names
  tags show CODE                                      one tag rule as JSON, with its versions
  tags set FILE                                       create or replace a tag rule (JSON; its "version",
                                                      when given, is the one it was edited from)
  tags retire CODE                                    the rule tags no one from now on
  tags preview FILE | tags preview --code CODE        how many members it would tag, and a sample

Admin commands call the running hub: --hub URL (HUB_URL, default http://127.0.0.1:8400), with the
token from HUB_ADMIN_TOKEN or from --data DIR (HUB_DATA).`;

const OPTIONS = {
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  hub: { type: 'string' },
  name: { type: 'string' },
  region: { type: 'string' },
  class: { type: 'string' },
  city: { type: 'string' },
  tz: { type: 'string' },
  'ttl-hours': { type: 'string' },
  store: { type: 'string' },
  members: { type: 'string' },
  first: { type: 'string' },
  file: { type: 'string' },
  member: { type: 'string' },
  template: { type: 'string' },
  code: { type: 'string' },
  'valid-days': { type: 'string' },
  status: { type: 'string' },
  kind: { type: 'string' },
  'sweep-interval': { type: 'string' },
  'import-thread-mb': { type: 'string' },
  'status-interval': { type: 'string' },
  mappings: { type: 'string' },
  mapping: { type: 'string' },
  records: { type: 'string' },
  role: { type: 'string' },
  scope: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  reason: { type: 'string' },
  'login-rate': { type: 'string' },
  'login-burst': { type: 'string' },
  csv: { type: 'string' },
  title: { type: 'string' },
  'per-member': { type: 'string' },
  'profiles-nightly': { type: 'string' },
  'profiles-zone': { type: 'string' },
  'birthday-sweep': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const num = (name: string, v: string | undefined, fallback?: number) => {
  if (v === undefined) return int(name, v, fallback);
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number`);
  return n;
};

/** A cron pattern from the command line, checked before the hub starts. */
function cronOption(name: string, cron: string | undefined, fallback: string): string {
  const value = cron ?? fallback;
  if (!validateCron(value)) throw new UsageError(`--${name}: ${value.slice(0, 60)} is no cron pattern (e.g. '${fallback}')`);
  return value;
}

/** The nightly recompute's schedule: a cron pattern and an IANA time zone, checked before the hub starts. */
function profilesNightly(cron: string | undefined, zone: string | undefined): { cron: string; timeZone: string } {
  // 'off': run only when asked (POST /profiles/recompute), e.g. by the retailer's own scheduler.
  const nightly = { cron: cron === 'off' ? cron : cronOption('profiles-nightly', cron, NIGHTLY_RECOMPUTE.cron), timeZone: zone ?? NIGHTLY_RECOMPUTE.timeZone };
  if (!isTimeZone(nightly.timeZone)) throw new UsageError(`--profiles-zone: ${nightly.timeZone.slice(0, 60)} is no IANA time zone (e.g. Asia/Shanghai)`);
  return nightly;
}

async function main(argv: string[]) {
  const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, sub, arg] = positionals;
  if (o.help || !command) return console.log(USAGE);
  // Absolute from here on: the embedded database runs in its own directory, and a relative path
  // would name another place there (an empty hub).
  const given = o.data ?? process.env.HUB_DATA;
  const dataDir = given === undefined ? undefined : resolve(given);

  if (command === 'serve') {
    limitHeapGrowth();
    const log = createLog('hub', o.quiet ?? false);
    warnIfMinCost(log);
    const dir = need('data', dataDir);
    // From the moment the port is ours, a death says why and a silent death of the last run is
    // told (decision 028); not before: a second `hub serve` refused its port must not touch the
    // status file of the hub that has it.
    let lastWords: LastWords | undefined;
    const statusEveryMs = 1000 * num('status-interval', o['status-interval'], 2);
    if (statusEveryMs < 100) throw new UsageError('--status-interval must be at least 0.1 (seconds)');
    const hub = await serveHub({
      dir,
      port: num('port', o.port ?? process.env.HUB_PORT, 8400),
      host: o.host ?? process.env.HUB_HOST ?? '127.0.0.1',
      log,
      couchUrl: process.env.COUCH_URL,
      sweepEveryMs: 1000 * num('sweep-interval', o['sweep-interval'], 10),
      ...(o.mappings ? { mappingsDir: o.mappings } : {}),
      ...(o['import-thread-mb'] ? { importThreadBytes: 2 ** 20 * num('import-thread-mb', o['import-thread-mb']) } : {}),
      loginRate: { perMinute: num('login-rate', o['login-rate'], 10), burst: num('login-burst', o['login-burst'], 10) },
      profiles: { nightly: profilesNightly(o['profiles-nightly'] ?? process.env.HUB_PROFILES_NIGHTLY, o['profiles-zone'] ?? process.env.HUB_PROFILES_ZONE) },
      birthdaySweep: cronOption('birthday-sweep', o['birthday-sweep'] ?? process.env.HUB_BIRTHDAY_SWEEP, BIRTHDAY_SWEEP),
      onListening: () => (lastWords = startLastWords(dir, log, { everyMs: statusEveryMs })),
      onDatabaseGiveUp: (err) => lastWords!.die('the embedded database cannot stay up: the hub exits', err, EXIT_DATABASE),
    });
    lastWords!.follow({ couchPid: () => hub.embedded?.pid(), doing: () => hub.doing(), arrays: () => hub.arrays() });
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: the operator will not wait for the orderly stop.
        log.warn(`${signal} again: exiting now, without a clean stop`, { doing: hub.doing() });
        process.exit(130);
      }
      stopping = true;
      // Info: a stop asked for is no fault (with --quiet, Ctrl-C prints nothing); the status file keeps it.
      log.info(`${signal}: stopping`, { doing: hub.doing() });
      await hub.close();
      lastWords!.stopped(signal);
      log.info('stopped cleanly', { signal });
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Only now: a supervisor that stops the hub as soon as it says it is ready must find the
    // handlers in place (before, a SIGTERM right after this line could end it uncleanly).
    console.log(`hub ready at ${hub.url} (database: ${hub.embedded ? `embedded pouchdb-server on ${hub.embedded.address}, loopback only, with the credential in couch-admin.json` : 'COUCH_URL'})`);
    return;
  }

  const hubUrl = (o.hub ?? process.env.HUB_URL ?? 'http://127.0.0.1:8400').replace(/\/$/, '');
  const token = await readAdminToken(dataDir);
  if (!token) throw new UsageError('no admin token: set HUB_ADMIN_TOKEN or pass --data DIR of the hub');
  const call = async (method: string, path: string, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(`${hubUrl}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new Error(`cannot reach the hub at ${hubUrl}; is 'hub serve' running? (--hub URL)`);
    }
    const json = (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } };
    if (!res.ok) throw new Error(`${json.error?.message ?? res.statusText} (${json.error?.code ?? res.status})`);
    return json;
  };
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  const readJson = async () => JSON.parse(await readFile(need('file', o.file), 'utf8')) as unknown;

  if (command === 'import') return importCommand(call, positionals.slice(1), o.mapping);
  if (command === 'identity') return print(await identityCommand(call, positionals.slice(1), o.records));
  if (command === 'tags') return console.log(await tagsCommand(call, positionals.slice(1), { class: o.class, code: o.code }));

  switch (`${command}${sub ? ` ${sub}` : ''}`) {
    case 'store add': {
      const id = need('id (store add ID)', arg);
      const res = (await call('POST', '/stores', { id, name: need('name', o.name), ...(o.region ? { region: o.region } : {}), ...(o.city ? { city: o.city } : {}), ...(o.tz ? { timeZone: o.tz } : {}), ...(o['ttl-hours'] ? { ttlHours: num('ttl-hours', o['ttl-hours']) } : {}) })) as { enrollment: { code: string; expiresAt: string } };
      console.log(`store ${id} added; enrollment code (one use, expires ${res.enrollment.expiresAt}):`);
      return console.log(res.enrollment.code);
    }
    case 'store code': {
      const res = (await call('POST', `/stores/${encodeURIComponent(need('id (store code ID)', arg))}/codes`, o['ttl-hours'] ? { ttlHours: num('ttl-hours', o['ttl-hours']) } : {})) as { enrollment: { code: string; expiresAt: string } };
      console.log(`enrollment code (one use, expires ${res.enrollment.expiresAt}):`);
      return console.log(res.enrollment.code);
    }
    case 'store list':
      return print((await call('GET', '/stores')).stores);
    case 'store disable':
    case 'store enable':
      return print((await call('POST', `/stores/${encodeURIComponent(need('id', arg))}/${sub}`)).store);
    case 'store move': {
      const id = need('id (store move ID)', arg);
      if ((o.city === undefined) === (o.region === undefined)) throw new UsageError('store move ID needs --city C or --region R');
      const res = (await call('POST', `/stores/${encodeURIComponent(id)}/move`, o.city !== undefined ? { city: o.city } : { region: o.region })) as { store: { region: string; city?: string } };
      return console.log(`store ${id} is now in ${res.store.city !== undefined ? `city:${res.store.city}, ` : ''}region:${res.store.region}`);
    }
    case 'org':
      return console.log(formatOrgTree((await call('GET', '/org')) as unknown as OrgTree));
    case 'org city': {
      if (arg !== 'add') throw new UsageError(`unknown command '${positionals.join(' ')}'`);
      const name = need('name (org city add NAME)', positionals[3]);
      const res = (await call('POST', '/org/cities', { name, region: need('region', o.region) })) as { city: { name: string; region: string } };
      return console.log(`city:${res.city.name} added in region:${res.city.region}`);
    }
    case 'seed': {
      const count = num('members', o.members);
      await call('POST', `/stores/${encodeURIComponent(need('store', o.store))}/seed`, { count, first: num('first', o.first, 0) });
      return console.log(`seeded ${count} members at ${o.store}`);
    }
    case 'rules show':
      return print((await call('GET', '/rules')).rules);
    case 'rules set':
      return print((await call('PUT', '/rules', { rules: await readJson() })).rules);
    case 'products import': {
      const file = resolve(need('file (products import FILE)', arg));
      const mapping = o.mapping ? (JSON.parse(await readFile(o.mapping, 'utf8')) as unknown) : undefined;
      return print((await call('POST', '/products/imports', { path: file, ...(mapping !== undefined ? { mapping } : {}) })).import);
    }
    case 'products list':
      return print(await call('GET', `/products${o.limit ? `?limit=${encodeURIComponent(o.limit)}` : ''}`));
    case 'template list':
      return print((await call('GET', '/templates')).templates);
    case 'template put': {
      const tpl = (await readJson()) as { id?: string };
      return print((await call('PUT', `/templates/${encodeURIComponent(tpl.id ?? '')}`, tpl)).template);
    }
    case 'coupon issue': {
      const res = (await call('POST', '/coupons', {
        memberId: need('member', o.member),
        templateId: need('template', o.template),
        ...(o.code ? { code: o.code.toUpperCase() } : {}),
        ...(o['valid-days'] ? { validDays: num('valid-days', o['valid-days']) } : {}),
      })) as { coupon: { code: string; title: string; validTo: string } };
      console.log(`issued ${res.coupon.title}, valid to ${res.coupon.validTo}; code:`);
      return console.log(res.coupon.code);
    }
    // Points catalogue and coupon pools (decision 020)
    case 'catalogue show':
      return print((await call('GET', '/catalogue')).catalogue);
    case 'catalogue set': {
      const file = (await readJson()) as { version?: number };
      // A file without a version is made from the current one (a script's whole catalogue).
      const version = file.version ?? ((await call('GET', '/catalogue')).catalogue as { version: number }).version;
      return print((await call('PUT', '/catalogue', { catalogue: { ...file, version } })).catalogue);
    }
    case 'pool list':
      return print((await call('GET', '/coupon-pools')).pools);
    case 'pool import': {
      const id = need('id (pool import ID)', arg);
      const csv = await readFile(need('csv', o.csv), 'utf8');
      const res = await call('POST', '/coupon-pools', { id, title: o.title ?? id, templateId: need('template', o.template), limitPerMember: num('per-member', o['per-member'], 1), csv });
      return print(res);
    }
    case 'fleet':
      return print((await call('GET', '/fleet')).stores);
    case 'operator add': {
      const name = need('name (operator add NAME)', arg);
      const res = (await call('POST', '/operators', { name, role: need('role', o.role), ...(o.scope !== undefined ? { scope: o.scope } : {}) })) as { password: string };
      console.log(`operator ${name} added; one-time password (they choose their own at the first login):`);
      return console.log(res.password);
    }
    case 'operator list':
      return print((await call('GET', '/operators')).operators);
    case 'operator disable':
    case 'operator enable':
      return print((await call('POST', `/operators/${encodeURIComponent(need('name', arg))}/${sub}`)).operator);
    case 'operator reset': {
      const name = need('name (operator reset NAME)', arg);
      const res = (await call('POST', `/operators/${encodeURIComponent(name)}/reset`)) as { password: string };
      console.log(`new one-time password for ${name} (their sessions have ended):`);
      return console.log(res.password);
    }
    case 'operator roles':
      return print((await call('GET', '/roles')).roles);
    case 'audit':
      return print(await call('GET', `/audit?${new URLSearchParams({ ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.before !== undefined ? { before: o.before } : {}) })}`));
    case 'member export':
      return print(await call('GET', `/members/${encodeURIComponent(need('id (member export ID)', arg))}/export`));
    case 'member erase':
      return print((await call('POST', `/members/${encodeURIComponent(need('id (member erase ID)', arg))}/erase`, { reason: need('reason', o.reason) })).erasure);
    case 'incidents':
      return print((await call('GET', `/incidents?${new URLSearchParams({ ...(o.status !== undefined ? { status: o.status } : {}), ...(o.kind !== undefined ? { kind: o.kind } : {}), ...(o.store !== undefined ? { store: o.store } : {}) })}`)).incidents);
    default:
      throw new UsageError(`unknown command '${positionals.join(' ')}'`);
  }
}

/** The tree as `hub org` prints it: one node id a line, indented by level (ids to paste into --scope). */
function formatOrgTree(tree: OrgTree): string {
  const lines: string[] = [];
  const store = (s: { id: string; name: string }, indent: string) => lines.push(`${indent}${s.id}  ${s.name}`);
  for (const r of tree.regions) {
    lines.push(r.id);
    for (const c of r.cities) {
      lines.push(`  ${c.id}`);
      for (const s of c.stores) store(s, '    ');
    }
    for (const s of r.stores) store(s, '  ');
  }
  return lines.length > 0 ? lines.join('\n') : '(no stores or cities in your scope)';
}

runCli(main, USAGE);
