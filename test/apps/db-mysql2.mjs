// ES module app: mysql2 loaded with import, the same scripted steps.
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { makeMysqlSteps } = require('./db-mysql2-steps.js');
const { serveSteps } = require('./db-steps.js');
serveSteps(makeMysqlSteps(mysql, mysqlPromise));
