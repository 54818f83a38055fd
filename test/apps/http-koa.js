// koa 3 with @koa/router and koa-mount (CommonJS).
const Koa = require('koa');
const Router = require('@koa/router');
const mount = require('koa-mount');
const buildApp = require('./http-koa-routes');

const server = buildApp({ Koa, Router, mount }).listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
