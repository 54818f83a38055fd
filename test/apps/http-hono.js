// Hono 4 on @hono/node-server (CommonJS).
const { Hono } = require('hono');
const { HTTPException } = require('hono/http-exception');
const { serve } = require('@hono/node-server');
const buildApp = require('./http-hono-routes');

const server = serve({ fetch: buildApp({ Hono, HTTPException }).fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`READY ${JSON.stringify({ port: info.port })}\n`);
});
server.on('error', (err) => process.stderr.write(`${err}\n`));
