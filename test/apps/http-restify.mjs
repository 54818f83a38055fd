// restify 12 as an ES module app, for the --import preload.
import { createRequire } from 'node:module';
import restify from 'restify';

const require = createRequire(import.meta.url);
const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] }));
const server = require('./http-restify-routes.js')(restify, errors);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
