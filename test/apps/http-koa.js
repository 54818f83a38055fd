// koa with @koa/router: a prefixed router nested in another, errors thrown and rejected.
const { Readable } = require('node:stream');
const Koa = require('koa');
const Router = require('@koa/router');

const app = new Koa();
app.silent = true; // koa would log every error on stderr
const api = new Router();
api.get('/users/:id', (ctx) => {
  ctx.body = { id: ctx.params.id };
});
api.put('/users/:id', (ctx) => {
  ctx.body = { updated: ctx.params.id };
});
api.post('/items', async (ctx) => {
  const chunks = [];
  for await (const c of ctx.req) chunks.push(c);
  ctx.status = 201;
  ctx.body = { created: true, name: JSON.parse(Buffer.concat(chunks).toString()).name };
});
api.get('/empty', (ctx) => {
  ctx.status = 200;
  ctx.res.end();
  ctx.respond = false;
});
api.get('/stream', (ctx) => {
  ctx.body = Readable.from(['first ', 'last']);
});
api.get('/latin', (ctx) => {
  ctx.set('Content-Type', 'text/plain; charset=ISO-8859-1');
  ctx.body = Buffer.from('caf\xe9', 'latin1');
});
api.get('/boom', () => {
  throw new TypeError('boom');
});
api.get('/reject', async () => {
  await new Promise((resolve) => setImmediate(resolve));
  throw new RangeError('rejected');
});
api.get('/hang', () => new Promise(() => {}));
api.get('/forbidden', (ctx) => ctx.throw(403, 'no'));
const root = new Router();
root.use('/api', api.routes());
root.get('/healthz', (ctx) => {
  ctx.body = 'ok';
});
app.use(root.routes());

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
