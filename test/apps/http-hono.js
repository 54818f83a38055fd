// Hono 4 on @hono/node-server (CommonJS); HONO_PEER: load Hono from that package instead (the previous major's, test/peers/hono3).
const path = require('node:path');
const lib = process.env.HONO_PEER
  ? require(path.join(process.env.HONO_PEER, 'index.js'))
  : {
      Hono: require('hono').Hono,
      HTTPException: require('hono/http-exception').HTTPException,
      serve: require('@hono/node-server').serve,
      version: require(require('node:module').findPackageJSON('hono', __filename)).version,
    };
const buildApp = require('./http-hono-routes');

const server = lib.serve({ fetch: buildApp(lib).fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`READY ${JSON.stringify({ port: info.port, version: lib.version })}\n`);
});
server.on('error', (err) => process.stderr.write(`${err}\n`));
