// The fastify app of the route tests, shared by the CommonJS and ES module entry points: a
// prefixed plugin and handler errors; with a middleware plugin (@fastify/middie or
// @fastify/express), handlers mounted with `fastify.use(path, fn)`.
const { Readable } = require('node:stream');

module.exports = async function buildApp(Fastify, middlewarePlugin) {
  const app = Fastify();
  if (middlewarePlugin !== undefined) {
    await app.register(middlewarePlugin);
    // A mounted pass-through: the routes it hands on to keep their own views.
    app.use('/api', (req, res, next) => next());
    // Handlers mounted under a path (tRPC, Apollo … are mounted this way): their mount path.
    app.use('/trpc', (req, res) => {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ result: req.url.length }));
    });
    app.use('/mw-error', (req, res, next) => next(new URIError('mounted')));
    // Under a plugin prefix (middleware there runs for that plugin's routes): the prefix joins
    // the mount path; a request it answers has its view, one it hands on the route's.
    app.register(
      async (v1) => {
        v1.use('/admin', (req, res, next) => {
          if (req.headers.authorization !== undefined) return next();
          res.statusCode = 401;
          res.end('who are you');
        });
        v1.get('/admin/stats/:day', async (request) => ({ day: request.params.day }));
      },
      { prefix: '/v1' },
    );
  }
  app.register(
    async (api) => {
      api.get('/users/:id', async (request) => ({ id: request.params.id }));
      api.put('/users/:id', async (request) => ({ updated: request.params.id }));
      api.post('/items', async (request, reply) => reply.code(201).send({ created: true, name: request.body.name }));
      api.get('/empty', (request, reply) => {
        reply.send();
      });
      api.get('/stream', (request, reply) => {
        reply.send(Readable.from(['first ', 'last']));
      });
      api.get('/latin', (request, reply) => {
        reply.header('Content-Type', 'text/plain; charset=ISO-8859-1').send(Buffer.from('caf\xe9', 'latin1'));
      });
      api.get('/boom', () => {
        throw new TypeError('boom');
      });
      api.get('/reject', async () => {
        throw new RangeError('rejected');
      });
      api.get('/hang', () => new Promise(() => {}));
      // A validation error: fastify answers 400.
      api.get('/forbidden', { schema: { querystring: { type: 'object', required: ['q'] } } }, async () => 'never');
    },
    { prefix: '/api' },
  );
  app.get('/healthz', async () => 'ok');
  return app;
};
