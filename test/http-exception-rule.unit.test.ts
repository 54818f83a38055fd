import * as assert from 'node:assert/strict';
import { Registry } from '../src/core/registry';
import { HttpServerMetrics } from '../src/http/server-metrics';

/** A request and response as Node's http channels hand them over, reduced to what the families read. */
function exchange() {
  const request = { url: '/x', method: 'GET', rawHeaders: [] as string[] };
  const response = { statusCode: 200, headersSent: false, chunkedEncoding: false, _contentLength: 0, getHeader: () => undefined };
  const socket = { on: () => undefined };
  return { request, response, socket, server: {} };
}

interface Case {
  readonly what: string;
  /** Errors the framework reports, in order, with the view it knew. */
  readonly reports: readonly { err: unknown; view?: string; headersSent?: number }[];
  readonly status: number;
  readonly route?: string;
  /** Expected: type → count, and view → count. */
  readonly types: Record<string, number>;
  readonly views: Record<string, number>;
}

const CASES: Case[] = [
  { what: 'a 500 counts', reports: [{ err: new TypeError('x'), view: '/a' }], status: 500, types: { TypeError: 1 }, views: { '/a': 1 } },
  { what: 'a 503 counts', reports: [{ err: new RangeError('x'), view: '/a' }], status: 503, types: { RangeError: 1 }, views: { '/a': 1 } },
  { what: 'a deliberate 404 does not', reports: [{ err: new Error('not found'), view: '/a' }], status: 404, types: {}, views: {} },
  { what: 'a validation 400 does not', reports: [{ err: new SyntaxError('bad'), view: '/a' }], status: 400, types: {}, views: {} },
  { what: 'an error answered 200 does not', reports: [{ err: new Error('recovered') }], status: 200, types: {}, views: {} },
  {
    what: 'the first error of a request is the one counted',
    reports: [
      { err: new TypeError('first'), view: '/a' },
      { err: new EvalError('second'), view: '/b' },
    ],
    status: 500,
    types: { TypeError: 1 },
    views: { '/a': 1 },
  },
  {
    what: 'no view reported: the route at finish',
    reports: [{ err: new TypeError('x') }],
    status: 500,
    route: '/users/:id',
    types: { TypeError: 1 },
    views: { '/users/:id': 1 },
  },
  {
    what: 'no view and no route: <unnamed view>',
    reports: [{ err: 'thrown string' }],
    status: 500,
    types: { String: 1 },
    views: { '<unnamed view>': 1 },
  },
  {
    what: 'headers already sent with a 500: counted at once, once',
    reports: [{ err: new TypeError('late'), view: '/a', headersSent: 500 }],
    status: 500,
    types: { TypeError: 1 },
    views: { '/a': 1 },
  },
  {
    what: 'headers already sent with a 200: never counted, even if a later error comes',
    reports: [{ err: new TypeError('mid-stream'), view: '/a', headersSent: 200 }, { err: new RangeError('after') }],
    status: 200,
    types: {},
    views: {},
  },
];

describe('http exceptions: one rule for every framework, counted only when the response is a 5xx (unit)', () => {
  for (const c of CASES) {
    it(c.what, () => {
      const registry = new Registry({ namespace: '', cardinalityLimit: 2000, latencyBuckets: [1] });
      const metrics = new HttpServerMetrics(registry, { excludePaths: { exact: new Set(), prefixes: [] }, ownServers: new Set() });
      const message = exchange();
      metrics.requestStarted(message);
      if (c.route !== undefined) metrics.route(message.response, c.route);
      for (const r of c.reports) {
        if (r.headersSent !== undefined) Object.assign(message.response, { headersSent: true, statusCode: r.headersSent });
        metrics.exception(message.response, r.err, r.view);
      }
      message.response.statusCode = c.status;
      metrics.responseFinished(message);
      const counts = (name: 'django_http_exceptions_total_by_type_total' | 'django_http_exceptions_total_by_view_total') =>
        Object.fromEntries([...registry.counter(name).all()].map(([s]) => [s.labelValues[0], s.value]).filter(([, v]) => v !== 0));
      assert.deepEqual(counts('django_http_exceptions_total_by_type_total'), c.types);
      assert.deepEqual(counts('django_http_exceptions_total_by_view_total'), c.views);
    });
  }
});
