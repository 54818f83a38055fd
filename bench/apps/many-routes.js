'use strict';
// An express app with 200 parameterised routes answering GET, POST and PUT with the status
// asked for in `x-status`: driving every (route, method, status) fills autoprom's HTTP
// families the way a real service does. GET /__heap reports the heap after a full GC
// (run with --expose-gc).
const http = require('node:http');
const express = require('express');
const listen = require('./ready');

const app = express();
app.get('/__heap', (_req, res) => {
  global.gc?.();
  global.gc?.();
  res.json(process.memoryUsage());
});
const reply = (req, res) =>
  res
    .status(Number(req.get('x-status') || 200))
    .type('text/plain')
    .send('ok');
for (let i = 0; i < Number(process.env.ROUTES || 200); i++) {
  app.get(`/api/v1/resource${i}/:id`, reply);
  app.post(`/api/v1/resource${i}/:id`, reply);
  app.put(`/api/v1/resource${i}/:id`, reply);
}
listen(http.createServer(app));
