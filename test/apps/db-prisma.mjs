// ES module app: Prisma 7 from test/peers/prisma7 (PRISMA_DIR) loaded with import, the same steps.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { makePrismaSteps } = require('./db-prisma-steps.js');
const { serveSteps } = require('./db-steps.js');
const modules = join(process.env.PRISMA_DIR, 'node_modules');
const { PrismaClient } = await import(pathToFileURL(join(modules, '@prisma', 'client', 'default.js')).href);
const { PrismaPg } = await import(pathToFileURL(join(modules, '@prisma', 'adapter-pg', 'dist', 'index.mjs')).href);
serveSteps(makePrismaSteps(PrismaClient, PrismaPg));
