// Does a little work and ends: under the preload it must still exit by itself, code 0.
const http = require('node:http');

const server = http.createServer((req, res) => res.end('x'));
server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/' }, (res) => {
    res.resume();
    res.on('end', () => {
      server.close();
      process.stdout.write('done\n');
    });
  });
});
