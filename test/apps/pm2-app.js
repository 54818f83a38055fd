// A PM2 cluster-mode instance: answers GET /work/:n with 200 and /fail with 500, the body its pid.
const http = require('node:http');

http
  .createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end(String(process.pid));
  })
  .listen(Number(process.env.PM2_APP_PORT), '127.0.0.1');
