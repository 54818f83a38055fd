// CommonJS app: Prisma 7 from test/peers/prisma7 (PRISMA_DIR), the scripted steps of db-prisma-steps.js.
'use strict';
const path = require('node:path');
const { makePrismaSteps } = require('./db-prisma-steps');
const { serveSteps } = require('./db-steps');

const dir = process.env.PRISMA_DIR;
const { PrismaClient } = require(path.join(dir, 'node_modules', '@prisma', 'client'));
const { PrismaPg } = require(path.join(dir, 'node_modules', '@prisma', 'adapter-pg'));
serveSteps(makePrismaSteps(PrismaClient, PrismaPg));
