'use strict';
// Shared by every bench app: listen on an ephemeral port, announce it, exit cleanly on SIGTERM
// (OpenTelemetry's zero-code preload keeps a plain server alive otherwise, and --cpu-prof
// writes its profile only on a normal exit).
module.exports = function listen(server) {
  process.on('SIGTERM', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
  });
};
