'use strict';
// Express 4 hello-world with one parameterised route; EXPRESS_PROM_BUNDLE=1 adds
// express-prom-bundle with method, path and status labels (the closest to autoprom's).
const http = require('node:http');
const express = require('express');
const listen = require('./ready');

const app = express();
if (process.env.EXPRESS_PROM_BUNDLE === '1') {
  const promBundle = require('express-prom-bundle');
  app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true, autoregister: true }));
}
app.get('/', (_req, res) => res.type('text/plain').send('Hello, World!'));
app.get('/users/:id', (req, res) => res.type('text/plain').send(`Hello, ${req.params.id}!`));
listen(http.createServer(app));
