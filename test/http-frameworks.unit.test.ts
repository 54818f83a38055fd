import * as assert from 'node:assert/strict';
import { hapiView } from '../src/http/hapi';
import { honoView } from '../src/http/hono';
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
});
