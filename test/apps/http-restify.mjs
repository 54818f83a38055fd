// restify 12 as an ES module app, for the --import preload; RESTIFY_PEER: import restify from that package instead
// (the previous major's, test/peers/restify11).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
async function fromRoot() {
  const restify = (await import('restify')).default;
  const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] }));
  return { restify, errors, version: require('restify/package.json').version };
}
const { restify, errors, version } = process.env.RESTIFY_PEER
  ? await import(pathToFileURL(path.join(process.env.RESTIFY_PEER, 'index.mjs')).href)
  : await fromRoot();
const server = require('./http-restify-routes.js')(restify, errors);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, version })}\n`);
});
