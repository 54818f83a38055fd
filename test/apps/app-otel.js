// An application that uses OpenTelemetry itself. APP_OTEL=api: only @opentelemetry/api (its
// instruments go to whatever MeterProvider is global); APP_OTEL=sdk: its own MeterProvider with
// its own Prometheus exporter on APP_EXPORTER_PORT, registered globally, as an app with its own
// OpenTelemetry SDK does.
const http = require('node:http');
const { metrics } = require('@opentelemetry/api');

if (process.env.APP_OTEL === 'sdk') {
  const { MeterProvider } = require('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
  const exporter = new PrometheusExporter({ host: '127.0.0.1', port: Number(process.env.APP_EXPORTER_PORT) });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
}

const meter = metrics.getMeter('shop');
const jobs = meter.createCounter('shop.jobs', { description: 'Jobs done.' });
const checkout = meter.createHistogram('shop.checkout.duration', { description: 'Checkout time.', unit: 's' });
const sizes = meter.createHistogram('shop.basket.size', { description: 'Items per basket.' });
// A value recorded as the app loads, before its first event-loop turn (autoprom creates
// OpenTelemetry's SDK at that first value).
if (process.env.APP_OTEL === 'api') jobs.add(1, { kind: 'boot' });

const server = http.createServer((req, res) => {
  if (req.url === '/work') {
    jobs.add(3, { kind: 'email' });
    checkout.record(0.003);
    checkout.record(1.5);
    sizes.record(4);
    res.end('worked');
  } else {
    res.statusCode = 404;
    res.end();
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`));
