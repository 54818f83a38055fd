// ES module app: postgres.js loaded with import (its ES module copy), the same scripted steps.
import postgres from 'postgres';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { makePostgresJsSteps } = require('./db-postgres-js-steps.js');
const { serveSteps } = require('./db-steps.js');
serveSteps(makePostgresJsSteps(postgres));
