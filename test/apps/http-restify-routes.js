// The restify app of the route tests, shared by the CommonJS and ES module entry points.
module.exports = function buildServer(restify, errors) {
  // Without handleUncaughtExceptions restify lets a thrown error crash the process (no response to count).
  const server = restify.createServer({ handleUncaughtExceptions: true });
  server.use(restify.plugins.bodyParser());
  // restify handlers take `next` (or are async functions).
  const answer = (respond) => (req, res, next) => {
    respond(req, res);
    next();
  };
  server.get(
    '/api/users/:id',
    answer((req, res) => res.send({ id: req.params.id })),
  );
  server.put(
    '/api/users/:id',
    answer((req, res) => res.send({ updated: req.params.id })),
  );
  server.post(
    '/api/items',
    answer((req, res) => res.send(201, { created: true, name: req.body.name })),
  );
  server.get(
    '/api/empty',
    answer((req, res) => res.end()),
  );
  server.get(
    '/api/stream',
    answer((req, res) => {
      res.write('first ');
      setImmediate(() => res.end('last'));
    }),
  );
  server.get(
    '/api/latin',
    answer((req, res) => {
      res.header('Content-Type', 'text/plain; charset=ISO-8859-1');
      res.end(Buffer.from('caf\xe9', 'latin1'));
    }),
  );
  server.get('/api/boom', (_req, _res, _next) => {
    throw new TypeError('boom');
  });
  server.get('/api/reject', async () => {
    throw new RangeError('rejected');
  });
  server.get('/api/forbidden', (req, res, next) => next(new errors.ForbiddenError('no')));
  server.get('/api/hang', (_req, _res, _next) => {
    // never answers: the client gives up
  });
  server.get(
    '/healthz',
    answer((req, res) => res.send('ok')),
  );
  return server;
};
