/**
 * A real Prometheus server scrapes a real app under the preload, and its query API returns
 * exactly what the app did.
 */
import { strict as assert } from 'node:assert';
import { startApp, type RunningApp } from './helpers/child';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus';

describe('a real Prometheus scrapes the exporter', () => {
  let app: RunningApp;
  let prom: PrometheusServer;

  before(async () => {
    app = await startApp('pipeline-plain.js');
    prom = await startPrometheus([`127.0.0.1:${app.metricsPort}`]);
  });
  after(async () => {
    await prom?.stop();
    await app?.stop('SIGKILL');
  });

  it('sees the target up and the exact request counts', async () => {
    await prom.waitFor('up{job="app"}', 1);
    for (let i = 0; i < 7; i++) await (await fetch(`http://127.0.0.1:${app.ready.port as number}/item/${i}?token=secret`)).text();
    await prom.waitFor('django_http_requests_before_middlewares_total{job="app"}', 7);
    await prom.waitFor('sum(django_http_responses_total_by_status_total{job="app",status="200"})', 7);
    await prom.waitFor('django_http_requests_latency_including_middlewares_seconds_count{job="app"}', 7);
    await prom.waitFor('django_http_requests_total_by_method_total{job="app",method="GET"}', 7);
    // No label anywhere carries the raw path or the query string.
    const series = await prom.query('{job="app",__name__=~"django_.*"}');
    for (const s of series) {
      for (const v of Object.values(s.metric)) {
        assert.doesNotMatch(v, /secret|\/item\//, `label value ${v} on ${s.metric.__name__}`);
      }
    }
  });

  it('parses the process metrics with their types', async () => {
    const r = await prom.query('process_start_time_seconds{job="app"}');
    assert.equal(r.length, 1);
    const started = Number(r[0].value[1]);
    assert.ok(Math.abs(started - Date.now() / 1000) < 120, `process_start_time_seconds ${started}`);
  });
});
