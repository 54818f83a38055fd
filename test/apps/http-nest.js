// NestJS 12 with the express or fastify adapter (NEST_ADAPTER=express|fastify), CommonJS;
// NEST_DIR: load Nest from that package instead (the previous major's, test/peers/nest11).
const nestRequire = (name) => require(process.env.NEST_DIR ? require.resolve(name, { paths: [process.env.NEST_DIR] }) : name);
nestRequire('reflect-metadata');
const common = nestRequire('@nestjs/common');
const core = nestRequire('@nestjs/core');
const buildModule = require('./http-nest-routes');

async function main() {
  const adapter = process.env.NEST_ADAPTER === 'fastify' ? new (nestRequire('@nestjs/platform-fastify').FastifyAdapter)() : undefined;
  const app = await core.NestFactory.create(buildModule(common, core), adapter, { logger: false });
  app.setGlobalPrefix('api');
  // A handler mounted under a path (tRPC, Apollo … are mounted this way).
  if (adapter === undefined) app.use('/legacy', (req, res) => res.end('legacy'));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  process.stdout.write(`READY ${JSON.stringify({ port, version: nestRequire('@nestjs/core/package.json').version })}\n`);
}
main();
