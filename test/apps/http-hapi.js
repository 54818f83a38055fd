// hapi 21 or 20 (HAPI_MODULE=@hapi/hapi|hapi20), CommonJS.
const moduleName = process.env.HAPI_MODULE || '@hapi/hapi';
const Hapi = require(moduleName);
const Boom = require(require.resolve('@hapi/boom', { paths: [require.resolve(moduleName)] }));
const buildServer = require('./http-hapi-routes');

buildServer(Hapi, Boom).then((server) => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.info.port, version: require(`${moduleName}/package.json`).version })}\n`);
});
