'use strict';
// autoprom: the series live in its own Registry (the pre-bound families the HTTP area records
// into) and are rendered by Exposition.render, the call behind its /metrics endpoint.
// BENCH_SERIALIZER=otel renders the same collection with OpenTelemetry's PrometheusSerializer
// configured as exposition.ts used to, for comparison.
const path = require('node:path');
const { measure } = require('./harness');
const { LATENCY, dataset, latencyOf, NAMES, OBSERVATIONS_PER_PAIR } = require('./dataset');

const dist = path.join(__dirname, '..', '..', 'dist', 'src');
const { Registry } = require(path.join(dist, 'core', 'registry'));
const { Exposition } = require(path.join(dist, 'export', 'exposition'));
const { MeterProvider } = require('@opentelemetry/sdk-metrics');

let exposition;
measure({
  setup() {
    const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: LATENCY });
    exposition = new Exposition([registry]);
    new MeterProvider({ readers: [exposition.reader] });
    const { pairs, triples } = dataset();
    const latency = registry.histogram(NAMES.latency);
    const requests = registry.counter(NAMES.requests);
    const responses = registry.counter(NAMES.responses);
    let i = 0;
    for (const { view, method } of pairs) {
      const h = latency.labels(view, method);
      for (let k = 0; k < OBSERVATIONS_PER_PAIR; k++) h.observe(latencyOf(i++));
      requests.labels(view, 'http', method).inc(OBSERVATIONS_PER_PAIR);
    }
    for (const { status, view, method } of triples) responses.labels(status, view, method).inc(3);
  },
  render() {
    if (process.env.BENCH_SERIALIZER !== 'otel') return exposition.render();
    const { PrometheusSerializer } = require('@opentelemetry/exporter-prometheus');
    const serializer = new PrometheusSerializer('', false, undefined, true, true);
    // exposition.collect(): OpenTelemetry's streams and the Registry's MetricData, as the reader returned them before.
    return exposition.collect().then(({ scopeMetrics }) => serializer.serialize({ resource: { attributes: {} }, scopeMetrics }));
  },
});
