// fastify 5 or 4 (FASTIFY_MODULE=fastify|fastify4), CommonJS; FASTIFY_MIDDLEWARE=@fastify/middie|@fastify/express
// adds handlers mounted with `fastify.use(path, fn)`.
const moduleName = process.env.FASTIFY_MODULE || 'fastify';
const Fastify = require(moduleName);
const buildApp = require('./http-fastify-routes');

buildApp(Fastify, process.env.FASTIFY_MIDDLEWARE ? require(process.env.FASTIFY_MIDDLEWARE) : undefined)
  .then(async (app) => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { version } = require(`${moduleName}/package.json`);
    process.stdout.write(`READY ${JSON.stringify({ port: app.server.address().port, version })}\n`);
  })
  .catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
