// Runs pouchdb-server in this process, and ends it when the hub that started it is gone: a hub
// killed with SIGKILL must not leave an orphan holding the database files and the port.
'use strict';
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500);
const bin = require.resolve('pouchdb-server/bin/pouchdb-server');
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
require(bin);
