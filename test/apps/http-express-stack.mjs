// See http-express-stack-routes.js (EXPRESS_MODULE=express|express5, an ES module app).
import { createRequire } from 'node:module';

const buildApp = createRequire(import.meta.url)('./http-express-stack-routes.js');
const { default: express } = await import(process.env.EXPRESS_MODULE || 'express');
const server = buildApp(express).listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
