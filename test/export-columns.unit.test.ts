import { strict as assert } from 'node:assert';
import { MessageChannel } from 'node:worker_threads';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { CATALOGUE } from '../src/catalogue';
import { Registry } from '../src/core/registry';
import { Exposition } from '../src/export/exposition';
import { isDjangoFamily } from '../src/export/render';
import { serializePrometheus, type MetricsInput } from '../src/export/serialize';
import { decodeCollection, LabelDictionary, RegistryColumns, transferList, type EncodedCollection } from '../src/export/snapshot';

/** Posted through a real MessagePort (numbers transferred), as worker-host.ts posts it. */
async function posted(encoded: EncodedCollection): Promise<EncodedCollection> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<EncodedCollection>((resolve) => port2.once('message', resolve));
  port1.postMessage(encoded, transferList(encoded));
  try {
    return await received;
  } finally {
    port1.close();
  }
}

/** Label values a collection carries for autoprom's own families. */
function labelValuesCarried(encoded: EncodedCollection): number {
  let n = 0;
  for (const m of encoded.metrics) if ('dictionary' in m && m.dictionary !== undefined) n += m.labelValues.length;
  return n;
}

/**
 * The application thread's side (Exposition) and the worker's (LabelDictionary) side by side
 * with OpenTelemetry's reader collecting the same Registry as a MetricProducer, as before.
 */
function pair(namespace = '', cardinalityLimit = 5) {
  const registry = new Registry({ namespace, cardinalityLimit, latencyBuckets: [0.1, 1, 2.5] });
  const exposition = new Exposition([registry]);
  const before = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: [registry],
  });
  const provider = new MeterProvider({ readers: [exposition.reader, before] });
  const dictionary = new LabelDictionary();
  const pythonBuckets = (name: string) => isDjangoFamily(name, namespace);
  return {
    registry,
    exposition,
    provider,
    dictionary,
    /** Both expositions of one moment, in both formats, and what the columns carried. */
    async scrape(): Promise<{ texts: string[]; references: string[]; carried: number }> {
      const encoded = exposition.encode(await exposition.gather());
      const carried = labelValuesCarried(encoded);
      const snapshot = decodeCollection(dictionary.complete(await posted(encoded)));
      const reference: MetricsInput = (await before.collect()).resourceMetrics;
      const formats = ['text', 'openmetrics'] as const;
      return {
        texts: formats.map((format) => serializePrometheus(snapshot, { format, pythonBuckets })),
        references: formats.map((format) => serializePrometheus(reference, { format, pythonBuckets })),
        carried,
      };
    },
  };
}

describe("export: autoprom's own series in columns, label values posted once (unit)", () => {
  it('renders byte for byte what OpenTelemetry collected from the Registry, scrape after scrape, as series appear and overflow', async () => {
    const p = pair('shop', 5);
    const byStatus = p.registry.counter('django_http_responses_total_by_status_total');
    const latency = p.registry.histogram('django_http_requests_latency_seconds_by_view_method');
    p.registry.counter('django_http_requests_total_by_method_total'); // labelled, no series yet
    p.registry.histogram('django_http_requests_latency_including_middlewares_seconds').only!.observe(0.5);
    const meter = p.provider.getMeter('app');
    const jobs = meter.createCounter('jobs', { description: 'J.' });
    meter.createObservableGauge('temperature', { description: 'T.' }).addCallback((o) => o.observe(21.5, { room: 'x' }));
    // The OpenTelemetry stream of a View-renamed family shares a name with nothing here; one that clashes must still merge.
    const clash = meter.createCounter('shop_django_http_responses_total_by_status', { description: 'Count of responses by status.' });

    const carried: number[] = [];
    const check = async (step: string) => {
      const r = await p.scrape();
      for (let i = 0; i < r.texts.length; i++) assert.equal(r.texts[i], r.references[i], `${step}: format ${i}`);
      carried.push(r.carried);
      return r.texts[0];
    };

    await check('empty');
    byStatus.labels('200').inc();
    latency.labels('/a "quoted"\\view', 'GET').observe(0.05);
    jobs.add(2, { queue: 'q' });
    await check('first series');
    byStatus.labels('200').inc(4);
    latency.labels('/a "quoted"\\view', 'GET').observe(7);
    await check('same series, new numbers');
    byStatus.labels('404').inc(2);
    byStatus.labels('500').inc();
    latency.labels('/b', 'POST').observe(1);
    clash.add(3, { status: '201' });
    await check('new series');
    byStatus.labels('502').inc(); // the 4th label set, the last below the limit of 5 (overflow included)
    byStatus.labels('503').inc(2); // folds into the overflow series
    assert.match(await check('overflow'), /^shop_django_http_responses_total_by_status_total\{otel_metric_overflow="true"\} 2$/m);
    byStatus.labels('200').inc();
    byStatus.labels('504').inc();
    assert.match(await check('after the overflow'), /^shop_django_http_responses_total_by_status_total\{otel_metric_overflow="true"\} 3$/m);
    // Label values carried per scrape: none, then 1 + 2, none, 1 + 1 + 2, 1 (502) + "true" (overflow), none.
    assert.deepEqual(carried, [0, 3, 0, 4, 2, 0]);
    await p.provider.shutdown();
  });

  it('every catalogue counter and histogram, labelled and label-less, namespaced or not, renders as before', async () => {
    for (const namespace of ['', 'ns']) {
      const p = pair(namespace, 2000);
      let n = 0;
      for (const row of CATALOGUE) {
        if (row.documentedOnly === true) continue;
        const values = row.labels.map((l, i) => `${l}-${i}-${n}`);
        if (row.type === 'counter')
          p.registry
            .counter(row.name as never)
            .labels(...values)
            .inc(++n);
        else if (row.type === 'histogram')
          p.registry
            .histogram(row.name as never)
            .labels(...values)
            .observe(++n / 7);
      }
      const r = await p.scrape();
      assert.deepEqual(r.texts, r.references);
      assert.ok(n > 20, `${n} families recorded`);
      await p.provider.shutdown();
    }
  });

  it("Exposition.render (testutils' in-process reading) is the text of the worker's columns, and stays so scrape after scrape", async () => {
    const registry = new Registry({ namespace: '', cardinalityLimit: 100, latencyBuckets: [0.5, 1] });
    const exposition = new Exposition([registry]);
    const provider = new MeterProvider({ readers: [exposition.reader] });
    const requests = registry.counter('django_http_requests_total_by_method_total');
    requests.labels('GET').inc();
    const first = await exposition.render();
    assert.equal(first, serializePrometheus(await exposition.collect()));
    requests.labels('POST').inc(2);
    const second = await exposition.render();
    assert.equal(second, serializePrometheus(await exposition.collect()));
    assert.match(second, /^django_http_requests_total_by_method_total\{method="POST"\} 2$/m);
    // Rendering here moved nothing in what the worker holds: its first collection carries every label value.
    assert.equal(labelValuesCarried(exposition.encode(await exposition.gather())), 2);
    await provider.shutdown();
  });

  it('a collection that lacks label values the worker does not hold is refused; after resendLabels the next one carries them all', async () => {
    const registry = new Registry({ namespace: '', cardinalityLimit: 100, latencyBuckets: [1] });
    const columns = new RegistryColumns(() => registry.allFamilies());
    const responses = registry.counter('django_http_responses_total_by_status_total');
    responses.labels('200').inc();
    const lost = columns.encode({ scopeMetrics: [] }); // never reaches the worker
    assert.equal(labelValuesCarried(lost), 1);
    responses.labels('404').inc();
    const dictionary = new LabelDictionary();
    assert.throws(
      () => dictionary.complete(columns.encode({ scopeMetrics: [] })),
      /label values of django_http_responses_total_by_status_total missing: 1 expected, 0 received/,
    );
    columns.forget();
    const full = columns.encode({ scopeMetrics: [] });
    assert.equal(labelValuesCarried(full), 2);
    assert.equal(
      serializePrometheus(decodeCollection(dictionary.complete(full))),
      '# HELP django_http_responses_total_by_status_total Count of responses by status.\n' +
        '# TYPE django_http_responses_total_by_status_total counter\n' +
        'django_http_responses_total_by_status_total{status="200"} 1\n' +
        'django_http_responses_total_by_status_total{status="404"} 1\n',
    );
    // The completed collection is plain data again: what a worker process hands the process summing its service.
    const again = dictionary.complete(columns.encode({ scopeMetrics: [] }));
    assert.ok(again.metrics.every((m) => !('dictionary' in m) || m.dictionary === undefined));
  });
});
