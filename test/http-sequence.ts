/**
 * A scripted request sequence against a child app and the exact delta every django HTTP
 * family must show for it. What the server sent (status, Content-Length, chunked,
 * charset) is read from the responses the client received; what the route was, which
 * exception was raised and which template rendered comes from the step itself.
 */
import * as assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { RunningApp } from './helpers/child';
import { samplesOf, valueOf, type Exposition } from './helpers/exposition';

export interface Step {
  readonly method: string;
  readonly path: string;
  /** Route template expected as the `view` label. */
  readonly view: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Class name of the exception the handler raises. */
  readonly exception?: string;
  /** Template the handler renders. */
  readonly template?: string;
  /** The handler never answers; the client closes the connection. */
  readonly hang?: boolean;
  /** The path is in PROMETHEUS_EXCLUDE_PATHS: nothing may move. */
  readonly excluded?: boolean;
}

export interface Received {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const STANDARD = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** One request on its own connection. */
export function send(port: number, step: Pick<Step, 'method' | 'path' | 'headers' | 'body'>, host = '127.0.0.1'): Promise<Received> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...step.headers };
    if (step.body !== undefined) headers['Content-Length'] = Buffer.byteLength(step.body);
    const req = request({ host, port, method: step.method, path: step.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(step.body);
  });
}

/** Poll `check` on fresh scrapes until it holds (a sync point, never a timing assertion). */
export async function scrapeUntil(app: RunningApp, check: (e: Exposition) => boolean, what: string): Promise<Exposition> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const e = await app.scrape();
    if (check(e)) return e;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A request whose handler never answers: sent, seen by the server, then abandoned. */
async function hang(app: RunningApp, port: number, step: Step): Promise<void> {
  const before = valueOf(await app.scrape(), 'django_http_requests_before_middlewares_total');
  const unknownBefore = valueOf(await app.scrape(), 'django_http_requests_unknown_latency_total');
  const req = request({ host: '127.0.0.1', port, method: step.method, path: step.path, headers: step.headers, agent: false });
  req.on('error', () => undefined);
  req.end();
  await scrapeUntil(
    app,
    (e) => valueOf(e, 'django_http_requests_before_middlewares_total') > before,
    'the server to see the hanging request',
  );
  req.destroy();
  await scrapeUntil(app, (e) => valueOf(e, 'django_http_requests_unknown_latency_total') > unknownBefore, 'the closed connection to count');
}

export async function runSteps(app: RunningApp, port: number, steps: readonly Step[]): Promise<(Received | undefined)[]> {
  const out: (Received | undefined)[] = [];
  for (const step of steps) {
    if (step.hang === true) {
      await hang(app, port, step);
      out.push(undefined);
    } else {
      out.push(await send(port, step));
    }
  }
  return out;
}

function charsetOfHeader(contentType: string | undefined): string | undefined {
  const m = /;\s*charset=("?)([^";]+)\1/i.exec(contentType ?? '');
  return m === null ? undefined : m[2].trim().toLowerCase();
}

class Tally {
  readonly counts = new Map<string, { labels: Record<string, string>; value: number }>();
  add(labels: Record<string, string>, by = 1): void {
    const key = JSON.stringify(Object.entries(labels).sort());
    const t = this.counts.get(key);
    if (t === undefined) this.counts.set(key, { labels, value: by });
    else t.value += by;
  }
}

/** Every django HTTP family's expected delta for these steps and responses. */
export function expectedDeltas(steps: readonly Step[], received: readonly (Received | undefined)[]): Map<string, Tally> {
  const t = (name: string) => {
    let x = families.get(name);
    if (x === undefined) families.set(name, (x = new Tally()));
    return x;
  };
  const families = new Map<string, Tally>();
  const names = [
    'django_http_requests_before_middlewares_total',
    'django_http_responses_before_middlewares_total',
    'django_http_requests_latency_including_middlewares_seconds_count',
    'django_http_requests_unknown_latency_including_middlewares_total',
    'django_http_requests_latency_seconds_by_view_method_count',
    'django_http_requests_unknown_latency_total',
    'django_http_ajax_requests_total',
    'django_http_requests_total_by_method_total',
    'django_http_requests_total_by_transport_total',
    'django_http_requests_total_by_view_transport_method_total',
    'django_http_requests_body_total_bytes_count',
    'django_http_requests_body_total_bytes_sum',
    'django_http_responses_total_by_templatename_total',
    'django_http_responses_total_by_status_total',
    'django_http_responses_total_by_status_view_method_total',
    'django_http_responses_body_total_bytes_count',
    'django_http_responses_body_total_bytes_sum',
    'django_http_responses_total_by_charset_total',
    'django_http_responses_streaming_total',
    'django_http_exceptions_total_by_type_total',
    'django_http_exceptions_total_by_view_total',
  ];
  for (const n of names) t(n);
  steps.forEach((step, i) => {
    if (step.excluded === true) return;
    const method = STANDARD.has(step.method) ? step.method : '<invalid method>';
    const bodyBytes = step.body === undefined ? 0 : Buffer.byteLength(step.body);
    t('django_http_requests_before_middlewares_total').add({});
    t('django_http_requests_total_by_method_total').add({ method });
    t('django_http_requests_total_by_transport_total').add({ transport: 'http' });
    t('django_http_requests_body_total_bytes_count').add({});
    t('django_http_requests_body_total_bytes_sum').add({}, bodyBytes);
    if (step.headers?.['X-Requested-With'] === 'XMLHttpRequest') t('django_http_ajax_requests_total').add({});
    if (step.exception !== undefined) {
      t('django_http_exceptions_total_by_type_total').add({ type: step.exception });
      t('django_http_exceptions_total_by_view_total').add({ view: step.view });
    }
    const r = received[i];
    if (step.hang === true || r === undefined) {
      t('django_http_requests_unknown_latency_including_middlewares_total').add({});
      t('django_http_requests_unknown_latency_total').add({});
      return;
    }
    if (step.template !== undefined) t('django_http_responses_total_by_templatename_total').add({ templatename: step.template });
    t('django_http_responses_before_middlewares_total').add({});
    t('django_http_requests_latency_including_middlewares_seconds_count').add({});
    t('django_http_requests_latency_seconds_by_view_method_count').add({ view: step.view, method });
    t('django_http_requests_total_by_view_transport_method_total').add({ view: step.view, transport: 'http', method });
    t('django_http_responses_total_by_status_total').add({ status: String(r.status) });
    t('django_http_responses_total_by_status_view_method_total').add({ status: String(r.status), view: step.view, method });
    if (r.headers['transfer-encoding'] === 'chunked') {
      t('django_http_responses_streaming_total').add({});
    } else {
      t('django_http_responses_body_total_bytes_count').add({});
      t('django_http_responses_body_total_bytes_sum').add({}, Number(r.headers['content-length'] ?? 0));
    }
    const charset = charsetOfHeader(r.headers['content-type']);
    if (charset !== undefined) t('django_http_responses_total_by_charset_total').add({ charset });
  });
  return families;
}

/**
 * Assert the exact delta of every sample of every django HTTP family: the expected series
 * moved by exactly what the steps imply, and every other series did not move at all.
 */
export function assertDeltas(before: Exposition, after: Exposition, expected: Map<string, Tally>): void {
  for (const [name, tally] of expected) {
    const seen = new Map<string, Record<string, string>>();
    for (const s of [...samplesOf(before, name), ...samplesOf(after, name)])
      seen.set(JSON.stringify(Object.entries(s.labels).sort()), s.labels);
    for (const { labels } of tally.counts.values()) seen.set(JSON.stringify(Object.entries(labels).sort()), labels);
    if (seen.size === 0 && tally.counts.size === 0) continue;
    for (const [key, labels] of seen) {
      const want = tally.counts.get(key)?.value ?? 0;
      const got = valueOf(after, name, labels) - valueOf(before, name, labels);
      assert.equal(
        Math.round(got * 1e9) / 1e9,
        want,
        `${name}${key === '[]' ? '' : JSON.stringify(labels)}: moved by ${got}, expected ${want}`,
      );
    }
  }
}

/** Every label value of every django HTTP family (to check no raw path or secret leaks). */
export function httpLabelValues(e: Exposition): string[] {
  return e.samples
    .filter((s) => s.name.startsWith('django_http_'))
    .flatMap((s) =>
      Object.entries(s.labels)
        .filter(([k]) => k !== 'le')
        .map(([, v]) => v),
    );
}

/** The request sequence the fastify and koa apps both serve (same routes, same behaviour). */
export const ROUTER_APP_STEPS: Step[] = [
  { method: 'GET', path: '/api/users/7?token=secret123', view: '/api/users/:id' },
  { method: 'POST', path: '/api/items', view: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":"pen"}' },
  { method: 'GET', path: '/api/empty', view: '/api/empty' },
  { method: 'GET', path: '/api/stream', view: '/api/stream' },
  { method: 'GET', path: '/api/latin', view: '/api/latin' },
  { method: 'PUT', path: '/api/users/7', view: '/api/users/:id', headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  { method: 'GET', path: '/api/boom', view: '/api/boom', exception: 'TypeError' },
  { method: 'GET', path: '/api/reject', view: '/api/reject', exception: 'RangeError' },
  { method: 'GET', path: '/api/missing/thing', view: '<unnamed view>' },
  { method: 'PROPFIND', path: '/api/users/7', view: '<unnamed view>' },
  { method: 'DELETE', path: '/nowhere?secret=hunter2', view: '<unnamed view>' },
  { method: 'GET', path: '/healthz', view: '<unnamed view>', excluded: true },
  { method: 'GET', path: '/api/hang', view: '/api/hang', hang: true },
];
