// Hono 3 and the node server of its time, required by name from this package (the CommonJS test app loads them through this file).
const { Hono } = require('hono');
const { HTTPException } = require('hono/http-exception');
const { serve } = require('@hono/node-server');
const { version } = require('./node_modules/hono/package.json');

module.exports = { Hono, HTTPException, serve, version };
