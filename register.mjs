// The ES module preload: `node --import autoprom/register app.mjs`. It installs
// OpenTelemetry's module hook so that ES module imports of pg, ioredis and the frameworks
// can be instrumented, then starts autoprom through the CommonJS preload.
import { createRequire, register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const require = createRequire(import.meta.url);
  // OTEL_SDK_DISABLED=true means nothing at all: not even the hook, which rewrites every import's URL.
  const { parseConfig } = require('./src/config.js');
  let hooksAcknowledged;
  if (!parseConfig(process.env).config.disabled) {
    try {
      // Only the modules an instrumentation names are wrapped; the application's own modules are left as they are.
      // The import-in-the-middle copy is the one @opentelemetry/instrumentation hooks with.
      const iitm = createRequire(require.resolve('@opentelemetry/instrumentation'))('import-in-the-middle');
      const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel();
      register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);
      hooksAcknowledged = waitForAllMessagesAcknowledged;
    } catch (err) {
      process.stderr.write(`autoprom: could not install the ES module hook (ES module imports stay unmeasured): ${String(err)}\n`);
    }
  }
  require('./register.js');
  // The hook must know every instrumented module before the application imports any.
  if (hooksAcknowledged !== undefined) await hooksAcknowledged();
}
