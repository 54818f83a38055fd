// The ES module preload: `node --import autoprom/register app.mjs`. It installs
// OpenTelemetry's module hook so that ES module imports of pg, ioredis and the frameworks
// can be instrumented, then starts autoprom through the CommonJS preload.
import { createRequire, register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const require = createRequire(import.meta.url);
  // OTEL_SDK_DISABLED=true means nothing at all: not even the hook, which rewrites every import's URL.
  const { parseConfig } = require('./src/config.js');
  if (!parseConfig(process.env).config.disabled) {
    try {
      register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
    } catch (err) {
      process.stderr.write(`autoprom: could not install the ES module hook (ES module imports stay unmeasured): ${String(err)}\n`);
    }
  }
  require('./register.js');
}
