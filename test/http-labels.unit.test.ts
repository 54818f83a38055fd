import * as assert from 'node:assert/strict';
import { clientLabels, isOtlpExport } from '../src/http/client';
import {
  charsetOf,
  clientHostLabel,
  errorTypeName,
  methodLabel,
  parseContentLength,
  statusLabel,
  templateNameLabel,
} from '../src/http/labels';
import { joinRoutePath, renderRoutePath, useMountPath } from '../src/http/route-template';
import { contentTypeOfHeaders } from '../src/http/write-head';

describe('http labels (unit)', () => {
  it('methodLabel: standard methods as is, everything else <invalid method>', () => {
    const table: [string | undefined, string][] = [
      ['GET', 'GET'],
      ['HEAD', 'HEAD'],
      ['POST', 'POST'],
      ['PUT', 'PUT'],
      ['DELETE', 'DELETE'],
      ['CONNECT', 'CONNECT'],
      ['OPTIONS', 'OPTIONS'],
      ['TRACE', 'TRACE'],
      ['PATCH', 'PATCH'],
      ['PROPFIND', '<invalid method>'],
      ['MKCOL', '<invalid method>'],
      ['get', '<invalid method>'],
      ['', '<invalid method>'],
      [undefined, '<invalid method>'],
      ['GET ', '<invalid method>'],
    ];
    for (const [input, want] of table) assert.equal(methodLabel(input), want, String(input));
  });

  it('parseContentLength: decimal digits only, else 0', () => {
    const table: [string | number | string[] | undefined, number][] = [
      ['0', 0],
      ['13', 13],
      ['1048576', 1048576],
      [42, 42],
      ['', 0],
      [undefined, 0],
      ['abc', 0],
      ['12abc', 0],
      ['-5', 0],
      ['1e3', 0],
      ['0x10', 0],
      [' 5', 0],
      ['5.5', 0],
      ['9999999999999999999', 0],
      [-1, 0],
      [1.5, 0],
      [Number.NaN, 0],
      [['5'], 0],
    ];
    for (const [input, want] of table) assert.equal(parseContentLength(input), want, JSON.stringify(input));
  });

  it('charsetOf: the charset parameter, lower-cased, only when it looks like a charset', () => {
    const table: [unknown, string | undefined][] = [
      ['text/html; charset=utf-8', 'utf-8'],
      ['text/plain; charset=ISO-8859-1', 'iso-8859-1'],
      ['application/json;charset=UTF-8', 'utf-8'],
      ['text/plain; charset="utf-8"', 'utf-8'],
      ['text/plain; format=flowed; charset=us-ascii; x=y', 'us-ascii'],
      ['text/plain', undefined],
      ['text/plain; xcharset=utf-8', undefined],
      ['text/plain; charset=', undefined],
      ['text/plain; charset=<script>alert(1)</script>', undefined],
      [`text/plain; charset=${'a'.repeat(80)}`, undefined],
      [undefined, undefined],
      [42, undefined],
    ];
    for (const [input, want] of table) assert.equal(charsetOf(input), want, String(input));
  });

  it('errorTypeName: the class name, bounded', () => {
    class ValidationError extends Error {}
    const anonymous = new (class extends Error {})();
    const table: [unknown, string][] = [
      [new TypeError('x'), 'TypeError'],
      [new RangeError('x'), 'RangeError'],
      [new ValidationError('x'), 'ValidationError'],
      [new Error('x'), 'Error'],
      [{}, 'Object'],
      [Object.create(null), 'Object'],
      ['boom', 'String'],
      [42, 'Number'],
      [null, 'null'],
      [undefined, 'undefined'],
      [true, 'Boolean'],
      [anonymous, 'Error'],
      [{ constructor: { name: 'x' } }, 'Object'],
      [
        new (class {
          static get name() {
            return 'a b c';
          }
        })(),
        'Error',
      ],
    ];
    for (const [input, want] of table) assert.equal(errorTypeName(input), want, String(want));
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('no');
        },
      },
    );
    assert.equal(errorTypeName(hostile), 'Error');
  });

  it('templateNameLabel, statusLabel, clientHostLabel', () => {
    assert.equal(templateNameLabel('users/show'), 'users/show');
    assert.equal(templateNameLabel(' page '), 'page');
    assert.equal(templateNameLabel(''), undefined);
    assert.equal(templateNameLabel('a\nb'), undefined);
    assert.equal(templateNameLabel('x'.repeat(201)), undefined);
    assert.equal(templateNameLabel({}), undefined);
    assert.equal(statusLabel(200), '200');
    assert.equal(statusLabel(599), '599');
    assert.equal(statusLabel(99), 'invalid');
    assert.equal(statusLabel(1000), 'invalid');
    assert.equal(statusLabel(200.5), 'invalid');
    assert.equal(statusLabel('200'), 'invalid');
    assert.equal(clientHostLabel('example.com', 443), 'example.com:443');
    assert.equal(clientHostLabel('example.com', undefined), 'example.com');
    assert.equal(clientHostLabel('::1', 8080), '[::1]:8080');
    assert.equal(clientHostLabel(undefined, 80), 'unknown');
  });

  it('clientLabels: OpenTelemetry client attributes as method, host, status', () => {
    assert.deepEqual(
      clientLabels({
        'http.request.method': 'GET',
        'server.address': 'api.local',
        'server.port': 8080,
        'http.response.status_code': 404,
        'url.scheme': 'http',
      }),
      { method: 'GET', host: 'api.local:8080', status: '404' },
    );
    assert.deepEqual(
      clientLabels({ 'http.request.method': '_OTHER', 'server.address': 'api.local', 'server.port': 443, 'error.type': 'ECONNREFUSED' }),
      { method: '<invalid method>', host: 'api.local:443', status: 'error' },
    );
    assert.deepEqual(clientLabels({}), { method: '<invalid method>', host: 'unknown', status: 'error' });
  });

  it('isOtlpExport: only OpenTelemetry exporter requests', () => {
    assert.equal(isOtlpExport({ headers: { 'User-Agent': 'OTel-OTLP-Exporter-JavaScript/0.301.0' } }), true);
    assert.equal(isOtlpExport({ headers: { 'user-agent': 'curl/8' } }), false);
    assert.equal(isOtlpExport({}), false);
  });

  it('contentTypeOfHeaders: the Content-Type given to writeHead, in each form Node accepts', () => {
    const table: [unknown, unknown][] = [
      [{ 'content-type': 'application/json; charset=utf-8', 'content-length': 5 }, 'application/json; charset=utf-8'],
      [{ 'Content-Type': 'text/plain' }, 'text/plain'],
      [{ 'content-length': 5 }, undefined],
      [['Content-Type', 'text/html', 'X-A', 'b'], 'text/html'],
      [['X-A', 'b', 'content-type', 'text/css'], 'text/css'],
      [
        [
          ['CONTENT-TYPE', 'text/csv'],
          ['X-A', 'b'],
        ],
        'text/csv',
      ],
      [[], undefined],
      [null, undefined],
      ['text/plain', undefined],
    ];
    for (const [headers, want] of table) assert.equal(contentTypeOfHeaders(headers), want, JSON.stringify(headers));
  });
});

describe('http route templates (unit)', () => {
  it('renderRoutePath: strings as is, regular expressions readably, arrays joined', () => {
    const table: [unknown, string | undefined][] = [
      ['/users/:id', '/users/:id'],
      ['/files/*path', '/files/*path'],
      ['/users{/:id}', '/users{/:id}'],
      [/^\/regex\/(\d+)$/, '/regex/(\\d+)'],
      [/\/ab?cd/i, '/ab?cd'],
      [/.*fly$/, '.*fly'],
      [/price\$$/, 'price\\$'],
      [['/a', '/b'], '/a,/b'],
      [['/a', /\/b\/\d+/], '/a,/b/\\d+'],
      [[], undefined],
      [42, undefined],
      [undefined, undefined],
      ['/' + 'x'.repeat(300), '/' + 'x'.repeat(199) + '…'],
    ];
    for (const [input, want] of table) assert.equal(renderRoutePath(input), want, String(input));
  });

  it('joinRoutePath: mount path + route template', () => {
    const table: [string, string, string][] = [
      ['/api', '/users/:id', '/api/users/:id'],
      ['/api/', '/users', '/api/users'],
      ['/api', '/', '/api'],
      ['/api', '', '/api'],
      ['', '/users', '/users'],
      ['/', '/users', '/users'],
      ['/', '/', '/'],
      ['/api/v1', 'users', '/api/v1/users'],
      ['/api', '/nested/:group', '/api/nested/:group'],
    ];
    for (const [mount, route, want] of table) assert.equal(joinRoutePath(mount, route), want, `${mount} + ${route}`);
  });

  it('useMountPath: the path argument of use(), as express reads it', () => {
    const fn = () => undefined;
    const table: [unknown[], unknown][] = [
      [[fn], '/'],
      [['/api', fn], '/api'],
      [[[fn, fn]], '/'],
      [
        [['/a', '/b'], fn],
        ['/a', '/b'],
      ],
      [[/^\/re/, fn], /^\/re/],
    ];
    for (const [args, want] of table) assert.deepEqual(useMountPath(args), want);
  });
});
