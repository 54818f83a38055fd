'use strict';
// prom-client and @prometheus-io/client (PROM_LIB): the same families through their own
// Counter and Histogram, rendered by registry.metrics(), the call behind their /metrics.
const { measure } = require('./harness');
const { LATENCY, dataset, latencyOf, NAMES, HELP, OBSERVATIONS_PER_PAIR } = require('./dataset');
const client = require(process.env.PROM_LIB || 'prom-client');

let registry;
measure({
  setup() {
    registry = new client.Registry();
    const latency = new client.Histogram({
      name: NAMES.latency,
      help: HELP.latency,
      labelNames: ['view', 'method'],
      buckets: LATENCY,
      registers: [registry],
    });
    // prom-client appends no suffix: the names are given as exposed.
    const requests = new client.Counter({
      name: NAMES.requests,
      help: HELP.requests,
      labelNames: ['view', 'transport', 'method'],
      registers: [registry],
    });
    const responses = new client.Counter({
      name: NAMES.responses,
      help: HELP.responses,
      labelNames: ['status', 'view', 'method'],
      registers: [registry],
    });
    const { pairs, triples } = dataset();
    let i = 0;
    for (const { view, method } of pairs) {
      for (let k = 0; k < OBSERVATIONS_PER_PAIR; k++) latency.observe({ view, method }, latencyOf(i++));
      requests.inc({ view, transport: 'http', method }, OBSERVATIONS_PER_PAIR);
    }
    for (const { status, view, method } of triples) responses.inc({ status, view, method }, 3);
  },
  render() {
    return registry.metrics();
  },
});
