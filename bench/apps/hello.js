'use strict';
// The node `http` hello-world: measured bare, under autoprom and under OpenTelemetry's preload.
const http = require('node:http');
const listen = require('./ready');

listen(
  http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end('Hello, World!');
  }),
);
