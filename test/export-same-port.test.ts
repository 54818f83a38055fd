/**
 * The metrics endpoint never takes a port the application listens on: an app that serves on
 * autoprom's port (9464, say) runs exactly as without the preload, whether it listens at once
 * (the port is still on the application thread) or later (the metrics worker holds it).
 */
import { strict as assert } from 'node:assert';
import { freePort, startApp } from './helpers/child';

const WARNING = (port: number) =>
  `autoprom: the application listens on port ${port}, autoprom's metrics port: the metrics endpoint gave it up (set PROMETHEUS_METRICS_EXPORT_PORT or PROMETHEUS_METRICS_EXPORT_PORT_RANGE to a port the application does not use; metricsHandler still serves inside the app)\n`;

describe('metrics endpoint: the application listens on its port', function () {
  this.timeout(60000);
  for (const [title, env] of [
    ['node:http at once', {}],
    ['node:http a second later (the metrics worker holds the port)', { SAME_PORT_DELAY_MS: '1000' }],
    ['express 5 at once', { SAME_PORT_EXPRESS: '1' }],
    ['express 5 a second later', { SAME_PORT_EXPRESS: '1', SAME_PORT_DELAY_MS: '1000' }],
  ] as const) {
    it(`${title}: the app gets the port and serves, as without autoprom; one line says so`, async () => {
      const port = await freePort();
      for (const preload of ['none', 'require'] as const) {
        const app = await startApp('export-same-port.js', { preload, env: { ...env, PROMETHEUS_METRICS_EXPORT_PORT: String(port) } });
        try {
          assert.equal(app.ready.port, port);
          const res = await fetch(`http://127.0.0.1:${port}/hello`);
          assert.equal(await res.text(), 'app', `${preload}: the app answers on its port`);
          assert.equal(app.child.exitCode, null, `${preload}: the app runs on`);
          assert.equal(app.stderr(), preload === 'none' ? '' : WARNING(port));
        } finally {
          await app.stop();
        }
      }
    });
  }
});
