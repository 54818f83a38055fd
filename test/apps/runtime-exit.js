// Does a little work and returns: the process must exit on its own with the runtime metrics on.
'use strict';
const fs = require('node:fs');
fs.readFile(__filename, () => {
  setTimeout(() => process.stdout.write(`READY ${JSON.stringify({ pid: process.pid })}\n`), 50);
});
