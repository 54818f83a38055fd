// See http-express-stack-routes.js (EXPRESS_MODULE=express|express5, CommonJS).
const buildApp = require('./http-express-stack-routes');

const server = buildApp(require(process.env.EXPRESS_MODULE || 'express')).listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
