'use strict';
// Next.js 16 (production build of ./next-app) behind a node http server, one route handler on /users/[id].
const http = require('node:http');
const path = require('node:path');
const next = require('next');
const listen = require('./ready');

const app = next({ dev: false, dir: path.join(__dirname, 'next-app') });
const handle = app.getRequestHandler();
app.prepare().then(() => listen(http.createServer((req, res) => handle(req, res))));
