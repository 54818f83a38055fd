// `next start` itself (the CLI, in this process) for the app in NEXT_APP_DIR (default ./http-next),
// with the `next` that app resolves, on NEXT_PORT; prints READY once it answers.
const http = require('node:http');
const path = require('node:path');

const port = Number(process.env.NEXT_PORT);
const dir = process.env.NEXT_APP_DIR || path.join(__dirname, 'http-next');
const cli = require.resolve('next/dist/bin/next', { paths: [dir] });
process.argv = [process.argv[0], cli, 'start', dir, '-p', String(port), '-H', '127.0.0.1'];
require(cli);

function ready() {
  http
    .get({ host: '127.0.0.1', port, path: '/_next/ready-probe', agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        process.stdout.write(
          `READY ${JSON.stringify({ port, version: require(require.resolve('next/package.json', { paths: [dir] })).version })}\n`,
        ),
      );
    })
    .on('error', () => setTimeout(ready, 50));
}
ready();
