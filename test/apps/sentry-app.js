// An express app with Sentry's Node SDK (its own OpenTelemetry setup: tracer provider, context
// manager, http and express instrumentation), sending to a local receiver (SENTRY_TEST_DSN).
const Sentry = require('@sentry/node');

Sentry.init({ dsn: process.env.SENTRY_TEST_DSN, tracesSampleRate: 1.0, defaultIntegrations: undefined });

const express = require('express');
const app = express();
app.get('/ok/:id', (req, res) => res.json({ id: req.params.id }));
app.get('/boom', () => {
  throw new Error('boom from the sentry test');
});
Sentry.setupExpressErrorHandler(app);
app.use((err, req, res, _next) => res.status(500).json({ error: err.message }));

const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => Sentry.flush(2000).then(() => process.exit(0)));
