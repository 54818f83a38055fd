'use strict';
// The raw OpenTelemetry Prometheus exporter (defaults: scope labels and target_info on), fed
// through the Metrics API as an instrumentation would; rendered by its own request handler.
const { measure } = require('./harness');
const { LATENCY, dataset, latencyOf, NAMES, HELP, OBSERVATIONS_PER_PAIR } = require('./dataset');
const { MeterProvider } = require('@opentelemetry/sdk-metrics');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');

let exporter;
measure({
  setup() {
    exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    const meter = provider.getMeter('bench');
    const latency = meter.createHistogram(NAMES.latency, { description: HELP.latency, advice: { explicitBucketBoundaries: LATENCY } });
    const requests = meter.createCounter(NAMES.requests, { description: HELP.requests });
    const responses = meter.createCounter(NAMES.responses, { description: HELP.responses });
    const { pairs, triples } = dataset();
    let i = 0;
    for (const { view, method } of pairs) {
      for (let k = 0; k < OBSERVATIONS_PER_PAIR; k++) latency.record(latencyOf(i++), { view, method });
      requests.add(OBSERVATIONS_PER_PAIR, { view, transport: 'http', method });
    }
    for (const { status, view, method } of triples) responses.add(3, { status, view, method });
  },
  render() {
    return new Promise((resolve) => {
      const res = { statusCode: 0, setHeader() {}, end: (body) => resolve(String(body)) };
      exporter.getMetricsRequestHandler({}, res);
    });
  },
});
