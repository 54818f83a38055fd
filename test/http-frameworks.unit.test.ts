import * as assert from 'node:assert/strict';
import { hapiView } from '../src/http/hapi';
import { honoView } from '../src/http/hono';
import { koaView } from '../src/http/koa';
import { handsOn, mountedHandler, mountTemplate } from '../src/http/mount';
import { nodeResponseOf } from '../src/http/nestjs';
import { nextView } from '../src/http/next';

describe('http frameworks: views from what each framework matched (unit)', () => {
  it('nextView: the matched file route; error pages and unmatched requests give none', () => {
    const table: [Parameters<typeof nextView>[0], string | undefined][] = [
      [{ match: { definition: { pathname: '/api/users/[id]' } } }, '/api/users/[id]'],
      [{ match: { definition: { pathname: '/blog/[...slug]' } } }, '/blog/[...slug]'],
      [{ match: { definition: { pathname: '/' } } }, '/'],
      [{ match: { definition: { pathname: '/_not-found' } } }, undefined],
      [{ match: { definition: { pathname: '/_error' } } }, undefined],
      [{ match: { definition: { pathname: '/404' } } }, undefined],
      [{ match: { definition: { pathname: '/users/[id]' } }, invokeStatus: 500 }, undefined],
      [{ match: { definition: { pathname: 42 } } }, undefined],
      [{ match: {} }, undefined],
      [{}, undefined],
      [undefined, undefined],
    ];
    for (const [meta, want] of table) assert.equal(nextView(meta), want, JSON.stringify(meta));
  });

  it('honoView: the route path; global middleware paths give none', () => {
    const table: [unknown, string | undefined][] = [
      ['/api/users/:id', '/api/users/:id'],
      ['/legacy/*', '/legacy/*'],
      ['/api/*', '/api/*'],
      ['*', undefined],
      ['/*', undefined],
      [undefined, undefined],
    ];
    for (const [path, want] of table) assert.equal(honoView(path), want, String(path));
  });

  it("hapiView: the route's path; hapi's own not-found and bad-request routes give none", () => {
    const table: [Parameters<typeof hapiView>[0], string | undefined][] = [
      [{ method: 'get', path: '/api/users/{id}' }, '/api/users/{id}'],
      [{ method: '*', path: '/files/{path*}' }, '/files/{path*}'],
      [{ method: '_special', path: '/{p*}' }, undefined],
      [{ method: 'get' }, undefined],
      [undefined, undefined],
    ];
    for (const [route, want] of table) assert.equal(hapiView(route), want, JSON.stringify(route));
  });

  it("nodeResponseOf: express's response is node's, fastify's reply holds it as raw", () => {
    const node = { setHeader() {} };
    const table: [unknown, object | undefined][] = [
      [node, node],
      [{ raw: node, send() {} }, node],
      [{ raw: {} }, undefined],
      [{}, undefined],
      [null, undefined],
      ['res', undefined],
    ];
    for (const [response, want] of table) assert.equal(nodeResponseOf(response), want);
  });

  it('mountTemplate: a mount path as registered; paths that match every request are no mount', () => {
    const table: [unknown, string | undefined][] = [
      ['/trpc', '/trpc'],
      ['/v1/', '/v1/'],
      ['/api/{*path}', '/api/{*path}'],
      [['/a', '/b'], '/a,/b'],
      [/^\/files/, '/files'],
      ['/', undefined],
      ['', undefined],
      ['*', undefined],
      ['/*', undefined],
      ['*path', undefined],
      ['/{*path}', undefined],
      ['/(.*)', undefined],
      [42, undefined],
    ];
    for (const [path, want] of table) assert.equal(mountTemplate(path), want, String(path));
    assert.deepEqual([undefined, null, 'route', 'router', new Error('x'), 'oops'].map(handsOn), [true, true, true, true, false, false]);
  });

  it('mountedHandler: names what it answers, takes the name back when it hands on without an error', () => {
    const views = new Map<object, string | undefined>();
    const reporter = {
      route: (res: object, t: string | undefined) => views.set(res, t),
      routeLater: () => undefined,
      routeOf: (res: object) => views.get(res),
      exception: () => undefined,
      template: () => undefined,
    };
    const answers = mountedHandler((_req: unknown, _res: unknown, _next: unknown) => undefined, '/trpc', reporter) as (
      ...a: unknown[]
    ) => void;
    const res1 = {};
    answers({}, res1, () => undefined);
    assert.equal(views.get(res1), '/trpc');
    const handsOnHandler = mountedHandler((_req: unknown, _res: unknown, next: (e?: unknown) => void) => next(), '/api', reporter) as (
      ...a: unknown[]
    ) => void;
    const res2 = {};
    handsOnHandler({}, res2, () => undefined);
    assert.equal(views.get(res2), undefined);
    const fails = mountedHandler(
      (_req: unknown, _res: unknown, next: (e?: unknown) => void) => next(new URIError('x')),
      '/mw',
      reporter,
    ) as (...a: unknown[]) => void;
    const res3 = {};
    fails({}, res3, () => undefined);
    assert.equal(views.get(res3), '/mw');
    // Nested mounts join; something more precise already named is kept.
    const inner = mountedHandler((_req: unknown, _res: unknown, _next: unknown) => undefined, '/inner', reporter);
    const outer = mountedHandler(
      (req: unknown, res: unknown, next: unknown) => (inner as (...a: unknown[]) => void)(req, res, next),
      '/outer',
      reporter,
    ) as (...a: unknown[]) => void;
    const res4 = {};
    outer({}, res4, () => undefined);
    assert.equal(views.get(res4), '/outer/inner');
    const res5 = {};
    views.set(res5, '/users/:id');
    answers({}, res5, () => undefined);
    assert.equal(views.get(res5), '/users/:id');
    // Error handlers (4 arguments) are left alone.
    const errorHandler = (_e: unknown, _req: unknown, _res: unknown, _next: unknown) => undefined;
    assert.equal(mountedHandler(errorHandler, '/x', reporter), errorHandler);
  });

  it("koaView: the router's route; none without one", () => {
    assert.equal(koaView({ _matchedRoute: '/api/users/:id' }), '/api/users/:id');
    assert.equal(koaView({ _matchedRoute: /^\/re/ }), '/re');
    assert.equal(koaView({}), undefined);
    assert.equal(koaView(undefined), undefined);
  });
});
