// CommonJS app: pg loaded with require, scripted steps served over HTTP.
'use strict';
const pg = require('pg');
const { makeSteps, serveSteps } = require('./db-steps');

serveSteps(makeSteps(pg).steps);
