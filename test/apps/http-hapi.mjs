// hapi 21 as an ES module app, for the --import preload.
import { createRequire } from 'node:module';
import Hapi from '@hapi/hapi';

const require = createRequire(import.meta.url);
const Boom = require(require.resolve('@hapi/boom', { paths: [require.resolve('@hapi/hapi')] }));
const server = await require('./http-hapi-routes.js')(Hapi, Boom);
process.stdout.write(`READY ${JSON.stringify({ port: server.info.port })}\n`);
