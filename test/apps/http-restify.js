// restify 12, CommonJS.
const restify = require('restify');
const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] }));
const server = require('./http-restify-routes')(restify, errors);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, version: require('restify/package.json').version })}\n`);
});
