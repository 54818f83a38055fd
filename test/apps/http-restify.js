// restify 12, CommonJS; RESTIFY_PEER: load restify from that package instead (the previous major's, test/peers/restify11).
const path = require('node:path');

function fromRoot() {
  const restify = require('restify');
  const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] }));
  return { restify, errors, version: require('restify/package.json').version };
}
const { restify, errors, version } = process.env.RESTIFY_PEER ? require(path.join(process.env.RESTIFY_PEER, 'index.js')) : fromRoot();
const server = require('./http-restify-routes')(restify, errors);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, version })}\n`);
});
