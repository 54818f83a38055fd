// NestJS 12 as an ES module app, for the --import preload (NEST_ADAPTER=express|fastify).
import 'reflect-metadata';
import { createRequire } from 'node:module';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

const buildModule = createRequire(import.meta.url)('./http-nest-routes.js');
const adapter = process.env.NEST_ADAPTER === 'fastify' ? new (await import('@nestjs/platform-fastify')).FastifyAdapter() : undefined;
const app = await core.NestFactory.create(buildModule(common, core), adapter, { logger: false });
app.setGlobalPrefix('api');
if (adapter === undefined) app.use('/legacy', (req, res) => res.end('legacy'));
await app.listen(0, '127.0.0.1');
process.stdout.write(`READY ${JSON.stringify({ port: app.getHttpServer().address().port })}\n`);
