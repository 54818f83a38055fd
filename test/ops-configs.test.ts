/**
 * The ops kit's scrape configs: promtool accepts each; the Kubernetes pod-annotation relabeling
 * keeps exactly the annotated, running pods when a real Prometheus applies it; the PodMonitor
 * and the example Deployment agree with each other.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dump } from 'js-yaml';
import { startApp, type RunningApp } from './helpers/child';
import { OPS, readYaml } from './helpers/ops';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus';

const PROM_DIR = path.join(OPS, 'prometheus');
const K8S_PODS = path.join(PROM_DIR, 'prometheus-kubernetes-pods.yml');

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`promtool not found (${r.error.message}): apt-get update && apt-get install -y prometheus`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface ScrapeConfig {
  job_name: string;
  kubernetes_sd_configs?: unknown;
  file_sd_configs?: unknown;
  relabel_configs: unknown[];
}

/**
 * The kubernetes-pods job with its pod discovery replaced by a file of targets labelled as
 * Kubernetes labels pods: the relabeling is the part under test, and Debian's Prometheus is
 * built without Kubernetes discovery.
 */
function podsJobFromFile(file: string): ScrapeConfig {
  const doc = readYaml(K8S_PODS) as { scrape_configs: ScrapeConfig[] };
  const job = structuredClone(doc.scrape_configs[0]);
  delete job.kubernetes_sd_configs;
  job.file_sd_configs = [{ files: [file], refresh_interval: '1s' }];
  return job;
}

/** Whether this promtool was built with Kubernetes service discovery (Debian's is not). */
function promtoolHasKubernetes(): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-k8s-'));
  try {
    writeFileSync(path.join(dir, 'p.yml'), 'scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: pod\n');
    return !/field kubernetes_sd_configs not found/.test(promtool(['check', 'config', path.join(dir, 'p.yml')]).out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ops: scrape configs', function () {
  this.timeout(60000);

  for (const file of ['prometheus-single.yml', 'prometheus-port-range.yml']) {
    it(`promtool check config accepts ${file} (and the rules it loads)`, () => {
      const { status, out } = promtool(['check', 'config', path.join(PROM_DIR, file)]);
      assert.equal(status, 0, out);
      assert.match(out, /SUCCESS: 1 rule files found/);
      assert.match(out, /SUCCESS: 23 rules found/);
    });
  }

  it('promtool check config accepts prometheus-kubernetes-pods.yml (with file discovery in place of pods where promtool has no Kubernetes discovery)', () => {
    if (promtoolHasKubernetes()) {
      const { status, out } = promtool(['check', 'config', K8S_PODS]);
      assert.equal(status, 0, out);
      return;
    }
    console.warn(
      '    !!! this promtool is built without Kubernetes discovery (Debian): checking the file with kubernetes_sd_configs replaced by file_sd_configs',
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-k8s-'));
    try {
      const doc = readYaml(K8S_PODS) as { rule_files: string[]; scrape_configs: ScrapeConfig[] };
      doc.rule_files = doc.rule_files.map((f) => path.join(PROM_DIR, f));
      doc.scrape_configs = [podsJobFromFile(path.join(dir, 'pods.json'))];
      writeFileSync(path.join(dir, 'prometheus.yml'), dump(doc));
      writeFileSync(path.join(dir, 'pods.json'), '[]');
      const { status, out } = promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
      assert.equal(status, 0, out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every scrape config in ops/prometheus is one of the checked ones', () => {
    const configs = readdirSync(PROM_DIR)
      .filter((f) => f.startsWith('prometheus-'))
      .sort();
    assert.deepEqual(configs, ['prometheus-kubernetes-pods.yml', 'prometheus-port-range.yml', 'prometheus-single.yml']);
  });

  describe('Kubernetes pod annotations, applied by a real Prometheus', () => {
    let app: RunningApp;
    let prom: PrometheusServer;
    let dir: string;
    const pod = (address: string, labels: Record<string, string>) => ({
      targets: [address],
      labels: {
        __meta_kubernetes_namespace: 'shop',
        __meta_kubernetes_pod_label_app_kubernetes_io_name: 'shop-api',
        __meta_kubernetes_pod_phase: 'Running',
        ...labels,
      },
    });

    before(async () => {
      app = await startApp('pipeline-plain.js', { env: { PROMETHEUS_METRICS_EXPORT_PATH: '/internal/metrics' } });
      dir = mkdtempSync(path.join(tmpdir(), 'autoprom-k8s-'));
      const annotated = (port: number) => ({
        __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
        __meta_kubernetes_pod_annotation_prometheus_io_port: String(port),
        __meta_kubernetes_pod_annotation_prometheus_io_path: '/internal/metrics',
      });
      // The discovered address is the pod IP with its first container port (the app's, not the metrics one).
      writeFileSync(
        path.join(dir, 'pods.json'),
        JSON.stringify([
          pod(`127.0.0.1:${app.ready.port as number}`, {
            ...annotated(app.metricsPort),
            __meta_kubernetes_pod_name: 'shop-api-5f7c9-abcde',
          }),
          pod('127.0.0.2:3000', { __meta_kubernetes_pod_name: 'no-annotation' }),
          pod('127.0.0.3:3000', { ...annotated(9464), __meta_kubernetes_pod_name: 'finished', __meta_kubernetes_pod_phase: 'Succeeded' }),
        ]),
      );
      const job = dump([podsJobFromFile(path.join(dir, 'pods.json'))])
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n');
      prom = await startPrometheus([], job);
    });
    after(async () => {
      await prom?.stop();
      await app?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('scrapes the annotated running pod at its annotated port and path, as job = its app label, and only it', async () => {
      await prom.waitFor('up{job="shop-api"}', 1);
      const body = (await (await fetch(`http://127.0.0.1:${prom.port}/api/v1/targets`)).json()) as {
        data: {
          activeTargets: Array<{ scrapePool: string; scrapeUrl: string; labels: Record<string, string> }>;
          droppedTargets: Array<{ discoveredLabels: Record<string, string> }>;
        };
      };
      const active = body.data.activeTargets.filter((t) => t.scrapePool === 'kubernetes-pods');
      assert.equal(active.length, 1);
      assert.equal(active[0].scrapeUrl, `http://127.0.0.1:${app.metricsPort}/internal/metrics`);
      assert.deepEqual(active[0].labels, {
        instance: `127.0.0.1:${app.metricsPort}`,
        job: 'shop-api',
        namespace: 'shop',
        pod: 'shop-api-5f7c9-abcde',
      });
      const dropped = body.data.droppedTargets.map((t) => t.discoveredLabels.__meta_kubernetes_pod_name).sort();
      assert.deepEqual(dropped, ['finished', 'no-annotation']);
      assert.equal((await prom.query('nodejs_version_info{job="shop-api",namespace="shop"}')).length, 1);
    });
  });

  it("the PodMonitor selects the example Deployment's pods and scrapes its metrics port, which the annotations and the env agree on", () => {
    const deployment = readYaml(path.join(OPS, 'kubernetes', 'deployment.yaml')) as {
      spec: {
        template: {
          metadata: { labels: Record<string, string>; annotations: Record<string, string> };
          spec: {
            containers: Array<{ env: Array<{ name: string; value: string }>; ports: Array<{ name: string; containerPort: number }> }>;
          };
        };
      };
    };
    const monitor = readYaml(path.join(OPS, 'kubernetes', 'podmonitor.yaml')) as {
      apiVersion: string;
      kind: string;
      spec: {
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: Array<{ port: string; path: string }>;
        jobLabel: string;
      };
    };
    assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(monitor.kind, 'PodMonitor');
    const template = deployment.spec.template;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(template.metadata.labels[k], v, `selector ${k}`);
    assert.ok(monitor.spec.jobLabel in template.metadata.labels, 'jobLabel is a pod label');
    const container = template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    const port = container.ports.find((p) => p.name === endpoint.port);
    assert.ok(port !== undefined, `no container port named ${endpoint.port}`);
    assert.equal(String(port.containerPort), env.PROMETHEUS_METRICS_EXPORT_PORT);
    assert.equal(template.metadata.annotations['prometheus.io/port'], env.PROMETHEUS_METRICS_EXPORT_PORT);
    assert.equal(template.metadata.annotations['prometheus.io/path'], endpoint.path);
    assert.equal(template.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.equal(env.NODE_OPTIONS, '--require autoprom/register');
  });
});
