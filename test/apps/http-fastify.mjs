// fastify 5 as an ES module app, for the --import preload; FASTIFY_MIDDLEWARE=@fastify/middie|@fastify/express
// adds handlers mounted with `fastify.use(path, fn)`.
import { createRequire } from 'node:module';
import Fastify from 'fastify';

const require = createRequire(import.meta.url);
const buildApp = require('./http-fastify-routes.js');
const middleware = process.env.FASTIFY_MIDDLEWARE ? (await import(process.env.FASTIFY_MIDDLEWARE)).default : undefined;
const app = await buildApp(Fastify, middleware);
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${JSON.stringify({ port: app.server.address().port, version: require('fastify/package.json').version })}\n`);
