// The koa app of the route tests, shared by the CommonJS and ES module entry points: @koa/router
// with a prefixed router nested in another, errors thrown and rejected, and handlers mounted
// with koa-mount (a plain handler, a sub-application with its own router, nested mounts).
const { Readable } = require('node:stream');

module.exports = function buildApp({ Koa, Router, mount }) {
  const app = new Koa();
  app.silent = true; // koa would log every error on stderr
  // A mounted pass-through: the routes it hands on to keep their own views.
  app.use(
    mount('/api', async (ctx, next) => {
      await next();
      ctx.set('X-Api', '1');
    }),
  );
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
  // A handler mounted under a path (tRPC, Apollo … are mounted this way): its mount path.
  app.use(
    mount('/trpc', (ctx) => {
      ctx.body = { result: ctx.path.length };
    }),
  );
  // A sub-application mounted under /v1: its router's routes under the mount; its 404s unnamed.
  const v1 = new Koa();
  const v1Router = new Router();
  v1Router.get('/orders/:orderId/lines/:line', (ctx) => {
    ctx.body = 'line';
  });
  v1.use(v1Router.routes());
  app.use(mount('/v1', v1));
  // Mounts inside mounts join.
  app.use(
    mount(
      '/outer',
      mount('/inner', (ctx) => {
        ctx.body = 'inner';
      }),
    ),
  );
  app.use(
    mount('/mw-error', () => {
      throw new URIError('mounted');
    }),
  );
  app.use(mount('/mw-forbidden', (ctx) => ctx.throw(403, 'no')));
  return app;
};
