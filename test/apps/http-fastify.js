// fastify 5 or 4 (FASTIFY_MODULE=fastify|fastify4) with a prefixed plugin and handler errors.
const { Readable } = require('node:stream');
const Fastify = require(process.env.FASTIFY_MODULE || 'fastify');

const app = Fastify();
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
  },
  { prefix: '/api' },
);
app.get('/healthz', async () => 'ok');

app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  process.stdout.write(
    `READY ${JSON.stringify({ port: app.server.address().port, version: require(`${process.env.FASTIFY_MODULE || 'fastify'}/package.json`).version })}\n`,
  );
});
