// ES module app: pg loaded with import, the same scripted steps.
import pg from 'pg';
import { createRequire } from 'node:module';

const { makeSteps, serveSteps } = createRequire(import.meta.url)('./db-steps.js');
serveSteps(makeSteps(pg).steps);
