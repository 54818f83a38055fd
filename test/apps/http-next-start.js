// `next start` itself (the CLI, in this process) for the app in ./http-next, on NEXT_PORT;
// prints READY once it answers.
const http = require('node:http');
const path = require('node:path');

const port = Number(process.env.NEXT_PORT);
process.argv = [
  process.argv[0],
  require.resolve('next/dist/bin/next'),
  'start',
  path.join(__dirname, 'http-next'),
  '-p',
  String(port),
  '-H',
  '127.0.0.1',
];
require('next/dist/bin/next');

function ready() {
  http
    .get({ host: '127.0.0.1', port, path: '/_next/ready-probe', agent: false }, (res) => {
      res.resume();
      res.on('end', () => process.stdout.write(`READY ${JSON.stringify({ port, version: require('next/package.json').version })}\n`));
    })
    .on('error', () => setTimeout(ready, 50));
}
ready();
