// Hono 4 on @hono/node-server as an ES module, for the --import preload.
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { serve } from '@hono/node-server';

const buildApp = createRequire(import.meta.url)('./http-hono-routes.js');
serve({ fetch: buildApp({ Hono, HTTPException }).fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`READY ${JSON.stringify({ port: info.port })}\n`);
});
