// koa 3 with @koa/router and koa-mount as an ES module app, for the --import preload.
import { createRequire } from 'node:module';
import Koa from 'koa';
import Router from '@koa/router';
import mount from 'koa-mount';

const buildApp = createRequire(import.meta.url)('./http-koa-routes.js');
const server = buildApp({ Koa, Router, mount }).listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
