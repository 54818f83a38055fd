// Scrapes its own metrics endpoint once (so every runtime observable has run), then returns:
// the process must exit on its own with the runtime metrics on.
'use strict';
const { ownMetrics } = require('./own-metrics');

ownMetrics().then(({ status, text }) => {
  const families = (text.match(/^# TYPE (process|nodejs)_/gm) || []).length;
  process.stdout.write(`READY ${JSON.stringify({ pid: process.pid, status, families })}\n`);
});
