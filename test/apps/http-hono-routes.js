/* global ReadableStream, Response */
// The Hono app of the route tests, shared by the CommonJS and ES module entry points:
// a sub-app under /api (`app.route`), a basePath group, a deliberate HTTPException and a mounted handler.
module.exports = function buildApp({ Hono, HTTPException }) {
  const app = new Hono();
  // Global middleware: never a view of its own.
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Seen', '1');
  });
  const api = new Hono();
  api.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  api.put('/users/:id', (c) => c.json({ updated: c.req.param('id') }));
  api.post('/items', async (c) => c.json({ created: true, name: (await c.req.json()).name }, 201));
  api.get('/empty', (c) => c.body(null));
  api.get('/stream', (c) =>
    c.body(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('first '));
          controller.enqueue(new TextEncoder().encode('last'));
          controller.close();
        },
      }),
    ),
  );
  api.get('/latin', (c) => c.body(Buffer.from('caf\xe9', 'latin1'), 200, { 'Content-Type': 'text/plain; charset=ISO-8859-1' }));
  api.get('/boom', () => {
    throw new TypeError('boom');
  });
  api.get('/reject', async () => {
    throw new RangeError('rejected');
  });
  api.get('/forbidden', () => {
    throw new HTTPException(403, { message: 'no' });
  });
  api.get('/hang', () => new Promise(() => {}));
  app.route('/api', api);
  const v2 = new Hono().basePath('/v2');
  v2.get('/orders/:orderId/lines/:line', (c) => c.text('line'));
  app.route('/', v2);
  // A handler mounted under a path (any fetch-style handler: tRPC, Apollo …).
  app.mount('/legacy', () => new Response('legacy'));
  app.get('/healthz', (c) => c.text('ok'));
  return app;
};
