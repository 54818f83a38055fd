// Scrapes its own metrics endpoint once (so every runtime observable has run), then returns:
// the process must exit on its own with the runtime metrics on.
'use strict';
const http = require('node:http');
http.get(`http://127.0.0.1:${process.env.PROMETHEUS_METRICS_EXPORT_PORT}/metrics`, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => (body += d));
  res.on('end', () => {
    const families = (body.match(/^# TYPE (process|nodejs)_/gm) || []).length;
    process.stdout.write(`READY ${JSON.stringify({ pid: process.pid, status: res.statusCode, families })}\n`);
  });
});
