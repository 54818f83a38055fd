import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Registry } from '../src/core/registry';
import { RegistryColumns, transferList, type EncodedCollection } from '../src/export/snapshot';
import type { FromWorker, ToWorker, WorkerOptions } from '../src/export/worker';
import { freePort } from './helpers/child';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('metrics worker: label values posted once, and posted again when the worker lacks some', () => {
  it('a collection whose label values the worker never received is asked for again in full, and the scrape answers with it', async () => {
    const registry = new Registry({ namespace: '', cardinalityLimit: 100, latencyBuckets: [1] });
    const responses = registry.counter('django_http_responses_total_by_status_total');
    responses.labels('200').inc(3);
    const columns = new RegistryColumns(() => registry.allFamilies());
    columns.encode({ scopeMetrics: [] }); // its label values never reach the worker
    responses.labels('404').inc();

    const port = await freePort();
    const options: WorkerOptions = {
      host: '127.0.0.1',
      path: '/metrics',
      namespace: '',
      windowMs: 0,
      deadlineMs: 5000,
      groupDeadlineMs: 5000,
      listen: { ports: [port], state: new Int32Array(new SharedArrayBuffer(8)) },
    };
    const worker = new Worker(path.join(__dirname, '..', 'src', 'export', 'worker.js'), { workerData: options, env: {}, execArgv: [] });
    const seen: string[] = [];
    const warnings: string[] = [];
    const post = (message: ToWorker, collection?: EncodedCollection) =>
      worker.postMessage(message, collection === undefined ? undefined : transferList(collection));
    const listening = new Promise<number | undefined>((resolve) => {
      worker.on('message', (m: FromWorker) => {
        seen.push(m.kind);
        if (m.kind === 'listening') resolve(m.port);
        if (m.kind === 'warn') warnings.push(m.line);
        if (m.kind === 'resend') columns.forget();
        if (m.kind === 'collect') {
          const collection = columns.encode({ scopeMetrics: [] });
          post({ kind: 'collected', id: m.id, collection }, collection);
        }
      });
    });
    try {
      assert.equal(await listening, port);
      const scrape = await get(`http://127.0.0.1:${port}/metrics`);
      assert.equal(scrape.status, 200);
      assert.match(scrape.body, /^django_http_responses_total_by_status_total\{status="200"\} 3$/m);
      assert.match(scrape.body, /^django_http_responses_total_by_status_total\{status="404"\} 1$/m);
      assert.match(scrape.body, /^autoprom_eventloop_blocked_seconds 0$/m);
      // Asked once, refused (a value missing), asked for every label value, asked again, answered.
      assert.deepEqual(
        seen.filter((k) => k === 'collect' || k === 'resend'),
        ['collect', 'resend', 'collect'],
      );
      assert.deepEqual(warnings, [
        'metrics worker: label values of django_http_responses_total_by_status_total missing: 1 expected, 0 received; asking for every label value again',
      ]);
      // From then on only new series carry label values, and the worker completes them.
      responses.labels('500').inc(2);
      const next = await get(`http://127.0.0.1:${port}/metrics`);
      assert.match(next.body, /^django_http_responses_total_by_status_total\{status="200"\} 3$/m);
      assert.match(next.body, /^django_http_responses_total_by_status_total\{status="500"\} 2$/m);
      assert.equal(seen.filter((k) => k === 'resend').length, 1);
    } finally {
      await worker.terminate();
    }
  });
});
