// CommonJS app: postgres.js loaded with require, scripted steps served over HTTP.
'use strict';
const { makePostgresJsSteps } = require('./db-postgres-js-steps');
const { serveSteps } = require('./db-steps');

serveSteps(makePostgresJsSteps(require('postgres')));
