'use strict';
// The one data set every exporter renders: what a service with 200 routes, 3 methods and 3
// statuses leaves in django-style families. 600 (view, method) latency histograms of 16
// buckets (19 samples each) + 600 request counters + 1,800 response counters = 13,800 series.

const LATENCY = [0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 25, 50, 75];
const METHODS = ['GET', 'POST', 'PUT'];
const STATUSES = ['200', '404', '500'];

function dataset(views = 200) {
  const routes = [];
  for (let i = 0; i < views; i++) routes.push(`/api/v1/resource${i}/:id`);
  const pairs = [];
  for (const view of routes) for (const method of METHODS) pairs.push({ view, method });
  const triples = [];
  for (const { view, method } of pairs) for (const status of STATUSES) triples.push({ status, view, method });
  return { pairs, triples };
}

/** A deterministic latency spread over the buckets (the i-th observation). */
function latencyOf(i) {
  return ((i * 7919) % 1000) / 400;
}

const NAMES = {
  latency: 'django_http_requests_latency_seconds_by_view_method',
  requests: 'django_http_requests_total_by_view_transport_method_total',
  responses: 'django_http_responses_total_by_status_view_method_total',
};
const HELP = {
  latency: 'Histogram of request processing time labelled by view.',
  requests: 'Count of requests by view, transport, method.',
  responses: 'Count of responses by status, view, method.',
};

module.exports = { LATENCY, dataset, latencyOf, NAMES, HELP, OBSERVATIONS_PER_PAIR: 5 };
