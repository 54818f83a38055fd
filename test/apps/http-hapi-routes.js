// The hapi app of the route tests, shared by the CommonJS and ES module entry points: routes in a
// plugin registered with a prefix, a thrown TypeError, a rejected promise, Boom 4xx and 5xx.
const { Readable } = require('node:stream');

module.exports = async function buildServer(Hapi, Boom) {
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  const api = {
    name: 'api',
    register(plugin) {
      plugin.route([
        { method: 'GET', path: '/users/{id}', handler: (request) => ({ id: request.params.id }) },
        { method: 'PUT', path: '/users/{id}', handler: (request) => ({ updated: request.params.id }) },
        { method: 'POST', path: '/items', handler: (request, h) => h.response({ created: true, name: request.payload.name }).code(201) },
        { method: 'GET', path: '/empty', handler: (request, h) => h.response().code(200) },
        {
          method: 'GET',
          path: '/stream',
          handler: () => Readable.from([Buffer.from('first '), Buffer.from('last')], { objectMode: false }),
        },
        {
          method: 'GET',
          path: '/latin',
          handler: (request, h) => h.response(Buffer.from('caf\xe9', 'latin1')).type('text/plain; charset=ISO-8859-1'),
        },
        {
          method: 'GET',
          path: '/boom',
          handler: () => {
            throw new TypeError('boom');
          },
        },
        {
          method: 'GET',
          path: '/reject',
          handler: async () => {
            throw new RangeError('rejected');
          },
        },
        {
          method: 'GET',
          path: '/forbidden',
          handler: () => {
            throw Boom.forbidden('no');
          },
        },
        {
          method: 'GET',
          path: '/unavailable',
          handler: () => {
            throw Boom.serverUnavailable('later');
          },
        },
        { method: 'GET', path: '/files/{path*}', handler: (request) => request.params.path },
        { method: 'GET', path: '/hang', handler: () => new Promise(() => {}) },
      ]);
    },
  };
  await server.register(api, { routes: { prefix: '/api' } });
  server.route({ method: 'GET', path: '/healthz', handler: () => 'ok' });
  await server.start();
  return server;
};
