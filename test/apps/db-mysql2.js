// CommonJS app: mysql2 loaded with require, scripted steps served over HTTP.
'use strict';
const { makeMysqlSteps } = require('./db-mysql2-steps');
const { serveSteps } = require('./db-steps');

serveSteps(makeMysqlSteps(require('mysql2'), require('mysql2/promise')));
