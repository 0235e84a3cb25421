// Runs pouchdb-server in this process, and ends it when the hub that started it is gone: a hub
// killed with SIGKILL must not leave an orphan holding the database files and the port.
//
// pouchdb-server has no require_valid_user: with admins configured, anonymous requests still list
// and read every database. So every request must carry the hub's admin credential (read from the
// file named by MEMBEREDGE_COUCH_ADMIN_FILE) before it reaches express-pouchdb; and Fauxton, the
// web UI at /_utils, is left out.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { createHash, timingSafeEqual } = require('node:crypto');

// An error nothing caught ends this process with its stack on stderr, which the hub keeps
// (DIR/couch/stderr.log) and logs with the exit: code 70 tells the hub it was this (decision 028).
const mb = (n) => Math.round(n / 1048576);
function die(kind, err) {
  const { rss, heapUsed } = process.memoryUsage();
  process.stderr.write(`${new Date().toISOString()} pouchdb-server-child: ${kind}, exiting (rss ${mb(rss)} MB, heap ${mb(heapUsed)} MB)\n${(err && err.stack) || String(err)}\n`);
  process.exit(70);
}
process.on('uncaughtException', (err) => die('uncaught exception', err));
process.on('unhandledRejection', (err) => die('unhandled rejection', err));

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500);

// What its RSS is made of (the hub's status file shows it beside the RSS): the heap, or memory
// outside it (LevelDB, buffers). Written into its working directory, DIR/couch.
setInterval(() => {
  const u = process.memoryUsage();
  try {
    writeFileSync('memory.json.tmp', JSON.stringify({ at: new Date().toISOString(), rssMb: mb(u.rss), heapUsedMb: mb(u.heapUsed), heapTotalMb: mb(u.heapTotal), externalMb: mb(u.external), arrayBuffersMb: mb(u.arrayBuffers) }));
    renameSync('memory.json.tmp', 'memory.json');
  } catch {
    /* a full disk: the status file goes without it */
  }
}, 5000).unref();

const credentialsFile = process.env.MEMBEREDGE_COUCH_ADMIN_FILE;
delete process.env.MEMBEREDGE_COUCH_ADMIN_FILE;
if (!credentialsFile) {
  console.error('MEMBEREDGE_COUCH_ADMIN_FILE is not set: refusing to serve without credentials');
  process.exit(2);
}
const admin = JSON.parse(readFileSync(credentialsFile, 'utf8'));
const digest = (s) => createHash('sha256').update(s).digest();
const expected = digest(`${admin.username}:${admin.password}`);

function authorized(header) {
  const m = /^basic\s+(\S+)\s*$/i.exec(header || '');
  return !!m && timingSafeEqual(digest(Buffer.from(m[1], 'base64').toString()), expected);
}

// LevelDB maps each table file it opens (2 MB each) and keeps up to max_open_files of them open
// per database, 1,000 by default: a database read through once stays mapped, and its pages count
// in this process's RSS. After a 15M-record import the profile engine's pass over hub-identity
// left ~1 GB of it mapped, most of this process's 1.3 GB at the hub's peak. 128 bounds what a
// database keeps mapped to ~240 MB; a table evicted is opened again when read (its index read
// from the page cache). On 318 MB of table files read through: 361 MB mapped with the default,
// 174 MB with 20 (decision 044).
const LEVELDB_OPTIONS = { maxOpenFiles: 128 };

const serverDir = dirname(require.resolve('pouchdb-server/package.json'));
const expressPouchDBPath = require.resolve('express-pouchdb', { paths: [serverDir] });
const expressPouchDB = require(expressPouchDBPath);
require.cache[expressPouchDBPath].exports = function gatedExpressPouchDB(startPouchDB, opts) {
  if (startPouchDB && !startPouchDB.defaults) {
    opts = startPouchDB;
    startPouchDB = undefined;
  }
  opts = opts || {};
  const mode = opts.overrideMode || {};
  opts.overrideMode = { include: mode.include || [], exclude: [...(mode.exclude || []), 'routes/fauxton'] };
  const inner = startPouchDB ? expressPouchDB(startPouchDB, opts) : expressPouchDB(opts);
  // A plain middleware (no handle/set, so express does not mount it as a sub-app around the gate)
  // that lends pouchdb-server what it reads of the real app.
  const gate = function (req, res, next) {
    if (authorized(req.headers.authorization)) return inner(req, res, next);
    res.statusCode = 401;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('WWW-Authenticate', 'Basic realm="memberedge hub database"');
    res.end(JSON.stringify({ error: 'unauthorized', reason: 'the hub database needs the hub admin credential' }));
  };
  for (const key of ['couchConfig', 'couchLogger']) Object.defineProperty(gate, key, { get: () => inner[key] });
  gate.setPouchDB = (PouchDB) => inner.setPouchDB(PouchDB.defaults(LEVELDB_OPTIONS));
  return gate;
};

const bin = require.resolve('pouchdb-server/bin/pouchdb-server');
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
require(bin);
