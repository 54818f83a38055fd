// Hono 4 on @hono/node-server as an ES module, for the --import preload; HONO_PEER: import Hono from that package
// instead (the previous major's, test/peers/hono3).
import { createRequire, findPackageJSON } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const lib = process.env.HONO_PEER
  ? await import(pathToFileURL(path.join(process.env.HONO_PEER, 'index.mjs')).href)
  : {
      Hono: (await import('hono')).Hono,
      HTTPException: (await import('hono/http-exception')).HTTPException,
      serve: (await import('@hono/node-server')).serve,
      version: require(findPackageJSON('hono', import.meta.url)).version,
    };
const buildApp = require('./http-hono-routes.js');
lib.serve({ fetch: buildApp(lib).fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`READY ${JSON.stringify({ port: info.port, version: lib.version })}\n`);
});
