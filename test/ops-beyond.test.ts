/**
 * Going past one machine with the configs of ops/beyond: promtool accepts them, a global
 * Prometheus federates the recording rules of a leaf one, and a Prometheus in agent mode
 * remote-writes exact counts into a store (a Prometheus with the remote-write receiver, the
 * protocol Mimir and Thanos Receive speak). The Collector config is checked for shape only:
 * no Collector binary is installable here.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { dump } from 'js-yaml';
import { startApp, type RunningApp } from './helpers/child';
import { OPS, readYaml, RULES_FILE } from './helpers/ops';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus';
import { snapshot } from '../src/testutils';

const BEYOND = path.join(OPS, 'beyond');

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`promtool not found (${r.error.message}): apt-get update && apt-get install -y prometheus`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A YAML list item for the helper's config, indented under `scrape_configs:`. */
function asScrapeJob(job: unknown): string {
  return dump([job])
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

describe('ops: beyond one machine', function () {
  this.timeout(90000);

  it('promtool check config accepts the federating Prometheus', () => {
    const { status, out } = promtool(['check', 'config', path.join(BEYOND, 'prometheus-federate.yml')]);
    assert.equal(status, 0, out);
  });

  it('promtool check config --agent accepts the agent-mode Prometheus', () => {
    const { status, out } = promtool(['check', 'config', '--agent', path.join(BEYOND, 'prometheus-agent.yml')]);
    assert.equal(status, 0, out);
  });

  it('the Collector pipeline uses only receivers, processors and exporters it defines, and adds no suffix to the names', () => {
    const c = readYaml(path.join(BEYOND, 'otel-collector.yaml')) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, { add_metric_suffixes?: boolean }>;
      service: { pipelines: { metrics: { receivers: string[]; processors: string[]; exporters: string[] } } };
    };
    const p = c.service.pipelines.metrics;
    for (const r of p.receivers) assert.ok(r in c.receivers, r);
    for (const r of p.processors) assert.ok(r in c.processors, r);
    for (const r of p.exporters) assert.ok(r in c.exporters, r);
    assert.equal(c.exporters.prometheusremotewrite.add_metric_suffixes, false);
  });

  describe('with real servers', () => {
    let app: RunningApp;
    const servers: PrometheusServer[] = [];
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) await (await fetch(`http://127.0.0.1:${app.ready.port as number}/item/${i}`)).text();
    };

    before(async () => {
      app = await startApp('pipeline-plain.js');
    });
    after(async () => {
      for (const s of servers.reverse()) await s.stop(); // the agent first, while its store still takes its last samples
      await app?.stop();
    });

    it("a global Prometheus federates the leaf's recording rules with their own job and instance", async () => {
      const leaf = await startPrometheus([`127.0.0.1:${app.metricsPort}`], `rule_files:\n  - '${RULES_FILE}'\n`);
      servers.push(leaf);
      const shipped = readYaml(path.join(BEYOND, 'prometheus-federate.yml')) as {
        scrape_configs: Array<{ scrape_interval?: string; static_configs: Array<{ targets: string[] }> }>;
      };
      const job = structuredClone(shipped.scrape_configs[0]);
      job.scrape_interval = '1s';
      job.static_configs[0].targets = [`127.0.0.1:${leaf.port}`];
      const global = await startPrometheus([], asScrapeJob(job));
      servers.push(global);
      await send(5);
      await leaf.waitFor('sum(django_http_requests_before_middlewares_total{job="app"})', 5);
      // Recorded on the leaf, federated to the global one under the leaf's job label.
      await global.waitFor('count(job_view:django_http_responses:rate5m{job="app",view="<unnamed view>",federated="true"})', 1);
      await global.waitFor(`up{job="app",instance="127.0.0.1:${app.metricsPort}"}`, 1);
      // Raw families stay on the leaf: only the aggregates travel.
      assert.equal((await global.query('django_http_requests_before_middlewares_total')).length, 0);
    });

    it('a Prometheus in agent mode remote-writes exact counts into the shared store', async () => {
      const store = await startPrometheus([], '', ['--web.enable-remote-write-receiver']);
      servers.push(store);
      const shipped = readYaml(path.join(BEYOND, 'prometheus-agent.yml')) as {
        global: { external_labels: Record<string, string> };
        remote_write: Array<{ url: string; headers?: Record<string, string> }>;
      };
      const remoteWrite = [{ ...shipped.remote_write[0], url: `http://127.0.0.1:${store.port}/api/v1/write` }];
      const extra = dump({ remote_write: remoteWrite });
      // The helper writes its own global block; the shipped external label rides on the target instead.
      const agent = await startPrometheus([`127.0.0.1:${app.metricsPort}`], extra, ['--enable-feature=agent']);
      servers.push(agent);
      await store.waitFor(`count(up{job="app",instance="127.0.0.1:${app.metricsPort}"})`, 1, 30000);
      const before = (await snapshot(app.metricsPort)).value('django_http_requests_before_middlewares_total');
      await send(7);
      await store.waitFor(
        `django_http_requests_before_middlewares_total{job="app",instance="127.0.0.1:${app.metricsPort}"}`,
        before + 7,
        30000,
      );
      assert.ok(Object.keys(shipped.global.external_labels).length > 0);
    });
  });
});
