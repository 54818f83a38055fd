/**
 * process_* and nodejs_* in a real child under the preload: the same families, types, help
 * texts and label names as a live prom-client registry's collectDefaultMetrics, and values
 * checked against what the test reads from /proc/<pid> itself.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { CATALOGUE } from '../src/catalogue';
import { startApp, type RunningApp } from './helpers/child';
import { samplesOf, valueOf, type Exposition } from './helpers/exposition';

interface PromClientMetric {
  name: string;
  help: string;
  type: string;
  labelNames: readonly string[];
}

/** The families a live prom-client registry exposes with collectDefaultMetrics, in this test process. */
function promClientFamilies(): PromClientMetric[] {
  const client = require('prom-client') as {
    Registry: new () => { getMetricsAsArray(): PromClientMetric[]; clear(): void };
    collectDefaultMetrics(config: { register: unknown }): void;
  };
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const out = registry.getMetricsAsArray().map((m) => ({ name: m.name, help: m.help, type: m.type, labelNames: [...m.labelNames] }));
  registry.clear();
  return out;
}

const RUNTIME_PREFIXES = /^(process|nodejs)_/;

/** Family name of a sample (histogram series carry suffixes). */
function familyOf(e: Exposition, sampleName: string): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix) && e.meta.get(sampleName.slice(0, -suffix.length))?.type === 'histogram')
      return sampleName.slice(0, -suffix.length);
  }
  return sampleName;
}

/** Label names seen on a family's samples (`le` excluded). */
function labelNamesOf(e: Exposition, family: string): string[] {
  const names = new Set<string>();
  for (const s of e.samples) {
    if (familyOf(e, s.name) !== family) continue;
    for (const k of Object.keys(s.labels)) if (k !== 'le') names.add(k);
  }
  return [...names].sort();
}

/** Scrape until `ready(e)` holds: event loop statistics need a few samples, GC entries arrive asynchronously. */
async function scrapeUntil(app: RunningApp, what: string, ready: (e: Exposition) => boolean): Promise<Exposition> {
  let last: Exposition | undefined;
  for (let i = 0; i < 100; i++) {
    last = await app.scrape();
    if (ready(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} never held; last exposition:\n${last?.text}`);
}

function procStatusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m !== null, `${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

describe('runtime: process_* and nodejs_* as prom-client exposes them', () => {
  const apps: RunningApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop('SIGKILL')));
  });

  let app: RunningApp;
  let spawnedAtMs = 0;
  let readyAtMs = 0;
  const start = async (): Promise<RunningApp> => {
    spawnedAtMs = Date.now();
    app = await startApp('runtime-app.js', { args: ['--expose-gc'] });
    readyAtMs = Date.now();
    apps.push(app);
    return app;
  };
  const complete = (e: Exposition) => e.meta.has('nodejs_eventloop_lag_p99_seconds') && e.meta.has('nodejs_gc_duration_seconds');

  it('exposes every family of a live prom-client registry with the same type, help and label names, and nothing else', async () => {
    await start();
    const e = await scrapeUntil(app, 'every runtime family present', complete);
    const reference = promClientFamilies();
    assert.ok(reference.length >= 25, `prom-client exposed only ${reference.length} families`);
    for (const ref of reference) {
      const ours = e.meta.get(ref.name);
      assert.ok(ours !== undefined, `${ref.name} missing`);
      assert.equal(ours.type, ref.type, `${ref.name} TYPE`);
      assert.equal(ours.help, ref.help, `${ref.name} HELP`);
      assert.deepEqual(labelNamesOf(e, ref.name), [...ref.labelNames].sort(), `${ref.name} label names`);
    }
    const refNames = new Set(reference.map((r) => r.name));
    const extra = [...e.meta.keys()].filter((n) => RUNTIME_PREFIXES.test(n) && !refNames.has(n));
    assert.deepEqual(extra, [], 'families prom-client does not have (OpenTelemetry names must not leak)');
    assert.doesNotMatch(e.text, /v8js|nodejs_eventloop_(utilization|time)|physical/);

    // The catalogue rows of both areas are exactly prom-client's families.
    const catalogue = CATALOGUE.filter((f) => f.area === 'process' || f.area === 'runtime');
    assert.deepEqual(catalogue.map((f) => f.name).sort(), [...refNames].sort());
    for (const f of catalogue) {
      const ref = reference.find((r) => r.name === f.name)!;
      assert.equal(f.help, ref.help, `${f.name} catalogue help`);
      assert.equal(f.type, ref.type, `${f.name} catalogue type`);
      assert.deepEqual([...f.labels].sort(), [...ref.labelNames].sort(), `${f.name} catalogue labels`);
    }
  });

  it('reports the child process itself: start time, version, fds, memory, CPU', async () => {
    await start();
    const pid = app.child.pid!;
    const e = await scrapeUntil(app, 'every runtime family present', complete);
    const fdsNow = readdirSync(`/proc/${pid}/fd`).length;

    const startTime = valueOf(e, 'process_start_time_seconds');
    assert.ok(
      startTime >= Math.floor(spawnedAtMs / 1000) - 1 && startTime <= Math.ceil(readyAtMs / 1000) + 1,
      `start ${startTime} not within ${spawnedAtMs}..${readyAtMs} ms`,
    );

    const version = app.ready.version as string;
    const [major, minor, patch] = version.slice(1).split('.');
    assert.deepEqual(
      samplesOf(e, 'nodejs_version_info').map((s) => [s.labels, s.value]),
      [[{ version, major, minor, patch }, 1]],
    );

    const openFds = valueOf(e, 'process_open_fds');
    assert.ok(Math.abs(openFds - fdsNow) <= 2, `process_open_fds ${openFds}, /proc/${pid}/fd has ${fdsNow}`);
    const softLimit = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    assert.ok(softLimit !== null);
    assert.equal(valueOf(e, 'process_max_fds'), Number(softLimit[1]));

    const rss = valueOf(e, 'process_resident_memory_bytes');
    const rssNow = procStatusKb(pid, 'VmRSS');
    assert.ok(rss > 10e6 && Math.abs(rss - rssNow) / rssNow < 0.5, `rss ${rss} vs VmRSS ${rssNow}`);
    assert.ok(valueOf(e, 'process_virtual_memory_bytes') >= rss);
    assert.ok(valueOf(e, 'process_heap_bytes') > 0);

    const user = valueOf(e, 'process_cpu_user_seconds_total');
    const system = valueOf(e, 'process_cpu_system_seconds_total');
    const total = valueOf(e, 'process_cpu_seconds_total');
    assert.ok(user > 0 && system >= 0);
    assert.ok(Math.abs(user + system - total) < 1e-6, `${user} + ${system} != ${total}`);
    const later = await app.scrape();
    assert.ok(valueOf(later, 'process_cpu_seconds_total') >= total, 'CPU counter went backwards');
  });

  it('reads heap, heap spaces and the event loop in prom-client units', async () => {
    await start();
    const e = await scrapeUntil(app, 'every runtime family present', complete);
    const heapUsed = valueOf(e, 'nodejs_heap_size_used_bytes');
    const heapTotal = valueOf(e, 'nodejs_heap_size_total_bytes');
    assert.ok(heapUsed > 1e6 && heapUsed <= heapTotal, `heap used ${heapUsed} total ${heapTotal}`);
    // The app's 64 MiB pending write lives outside the V8 heap.
    assert.ok(valueOf(e, 'nodejs_external_memory_bytes') >= 64 * 1024 * 1024);

    const spaces = samplesOf(e, 'nodejs_heap_space_size_total_bytes').map((s) => s.labels.space);
    for (const want of ['new', 'old', 'code', 'large_object']) assert.ok(spaces.includes(want), `space ${want} in ${spaces.join(',')}`);
    assert.ok(!spaces.some((s) => s.endsWith('_space')));
    for (const space of spaces) {
      const used = valueOf(e, 'nodejs_heap_space_size_used_bytes', { space });
      assert.ok(used <= valueOf(e, 'nodejs_heap_space_size_total_bytes', { space }), `space ${space} used > total`);
      assert.ok(valueOf(e, 'nodejs_heap_space_size_available_bytes', { space }) >= 0);
    }
    const oldSpace = valueOf(e, 'nodejs_heap_space_size_used_bytes', { space: 'old' });
    assert.ok(oldSpace > 1e5 && oldSpace < heapTotal, `old space used ${oldSpace} bytes`);

    // Seconds, not milliseconds or nanoseconds: an idle loop sampled every 10 ms sits near 0.01 s.
    const lag = (n: string) => valueOf(e, `nodejs_eventloop_lag_${n}seconds`);
    assert.ok(lag('') >= 0 && lag('') < 1, `lag ${lag('')}`);
    assert.ok(
      lag('min_') > 0 &&
        lag('min_') <= lag('p50_') &&
        lag('p50_') <= lag('p90_') &&
        lag('p90_') <= lag('p99_') &&
        lag('p99_') <= lag('max_'),
    );
    assert.ok(lag('mean_') > 0.001 && lag('mean_') < 1, `mean ${lag('mean_')}`);
    assert.ok(lag('stddev_') >= 0);
  });

  it("counts active handles, requests and resources by type, without autoprom's own server", async () => {
    await start();
    const e = await scrapeUntil(app, 'every runtime family present', complete);
    for (const name of ['handles', 'requests', 'resources']) {
      const byType = samplesOf(e, `nodejs_active_${name}`);
      const sum = byType.reduce((a, s) => a + s.value, 0);
      assert.equal(valueOf(e, `nodejs_active_${name}_total`), sum, `nodejs_active_${name}_total vs sum by type`);
    }
    // The app's http server and its stalled net server; autoprom's metrics server is unref'd.
    assert.equal(valueOf(e, 'nodejs_active_handles', { type: 'Server' }), 2);
    // Two sockets of the stalled connection, plus the stdio pipes the test reads.
    const byType = JSON.stringify(samplesOf(e, 'nodejs_active_handles'));
    assert.ok(valueOf(e, 'nodejs_active_handles', { type: 'Socket' }) >= 2, byType);
    assert.equal(
      valueOf(e, 'nodejs_active_resources', { type: 'PipeWrap' }) + 2,
      valueOf(e, 'nodejs_active_handles', { type: 'Socket' }),
      `${byType} ${JSON.stringify(samplesOf(e, 'nodejs_active_resources'))}`,
    );
    assert.equal(valueOf(e, 'nodejs_active_requests', { type: 'WriteWrap' }), 1);
    assert.equal(valueOf(e, 'nodejs_active_resources', { type: 'TCPServerWrap' }), 2);
  });

  it('observes a forced GC in nodejs_gc_duration_seconds{kind="major"} with prom-client buckets', async () => {
    await start();
    const before = await scrapeUntil(app, 'a GC observed', (e) => e.meta.has('nodejs_gc_duration_seconds'));
    const majorBefore = valueOf(before, 'nodejs_gc_duration_seconds_count', { kind: 'major' });
    const res = await fetch(`http://127.0.0.1:${app.ready.port as number}/gc`);
    assert.equal(await res.text(), 'collected\n');
    const after = await scrapeUntil(
      app,
      'the forced GC observed',
      (e) => valueOf(e, 'nodejs_gc_duration_seconds_count', { kind: 'major' }) > majorBefore,
    );
    const les = samplesOf(after, 'nodejs_gc_duration_seconds_bucket')
      .filter((s) => s.labels.kind === 'major')
      .map((s) => s.labels.le);
    assert.deepEqual(les, ['0.001', '0.01', '0.1', '1', '2', '5', '+Inf']);
    for (const s of samplesOf(after, 'nodejs_gc_duration_seconds_count'))
      assert.ok(['major', 'minor', 'incremental', 'weakcb'].includes(s.labels.kind), s.labels.kind);
    const sum = valueOf(after, 'nodejs_gc_duration_seconds_sum', { kind: 'major' });
    assert.ok(sum > 0 && sum < 10, `major GC seconds ${sum}`);
  });

  it("promtool finds no error in the runtime families (it lints only prom-client's own _total gauge names)", async () => {
    await start();
    const e = await scrapeUntil(app, 'every runtime family present', complete);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: e.text, encoding: 'utf8' });
    if (r.error !== undefined) throw new Error(`promtool not found (${r.error.message}): apt-get update && apt-get install -y prometheus`);
    // prom-client's own names for three gauges end in _total, which promtool's linter flags
    // (exit status 3, lint only); dashboards need those names, so only these lines may appear.
    const problems = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '')
      .sort();
    assert.deepEqual(
      problems,
      ['handles', 'requests', 'resources'].map((n) => `nodejs_active_${n}_total non-counter metrics should not have "_total" suffix`),
    );
    assert.equal(r.status, 3, `${r.stdout}${r.stderr}`);
  });

  it('is switched off by OTEL_NODE_DISABLED_INSTRUMENTATIONS=runtime and alone with OTEL_NODE_ENABLED_INSTRUMENTATIONS=runtime', async () => {
    const off = await startApp('runtime-app.js', { env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime' } });
    apps.push(off);
    const offText = await off.scrapeText();
    assert.doesNotMatch(offText, /^# TYPE (process|nodejs)_/m);

    const only = await startApp('runtime-app.js', { env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'runtime' }, args: ['--expose-gc'] });
    apps.push(only);
    const e = await scrapeUntil(only, 'every runtime family present', complete);
    // Every exposition also carries the endpoint's own autoprom_eventloop_blocked_seconds.
    const names = [...e.meta.keys()].filter((n) => n !== 'autoprom_eventloop_blocked_seconds');
    assert.ok(names.length > 0 && names.every((n) => RUNTIME_PREFIXES.test(n)), names.join(','));
  });

  it('works the same under the ES module preload (--import), never namespaced', async () => {
    const esm = await startApp('runtime-app.js', {
      preload: 'import',
      args: ['--expose-gc'],
      env: { PROMETHEUS_METRIC_NAMESPACE: 'myapp' },
    });
    apps.push(esm);
    const e = await scrapeUntil(esm, 'every runtime family present', complete);
    for (const ref of promClientFamilies()) assert.ok(e.meta.has(ref.name), `${ref.name} missing under --import`);
    assert.doesNotMatch(e.text, /^# TYPE myapp_(process|nodejs)_/m);
  });

  it('never keeps the process alive', async () => {
    const done = await startApp('runtime-exit.js');
    apps.push(done);
    assert.equal(done.ready.status, 200);
    // The event loop statistics need a few 10 ms samples first; the rest is there at once.
    assert.ok((done.ready.families as number) >= 20, `only ${String(done.ready.families)} runtime families`);
    const timer = setTimeout(() => done.child.kill('SIGKILL'), 10000);
    const { code, signal } = await done.exited;
    clearTimeout(timer);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr: ${done.stderr()}`);
  });
});
