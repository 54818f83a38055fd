import { strict as assert } from 'node:assert';
import { DiagLogLevel } from '@opentelemetry/api';
import { DEFAULT_LATENCY_BUCKETS, INSTRUMENTATION_NAMES, isExcludedPath, parseConfig, parseExcludePaths } from '../src/config';

describe('config: environment to one validated object', () => {
  it('defaults with an empty environment', () => {
    const { config, problems } = parseConfig({});
    assert.deepEqual(problems, []);
    assert.equal(config.disabled, false);
    assert.equal(config.prometheus, true);
    assert.equal(config.otlp, false);
    assert.deepEqual(config.ports, [9464]);
    assert.equal(config.host, undefined);
    assert.equal(config.path, '/metrics');
    assert.deepEqual(config.latencyBuckets, DEFAULT_LATENCY_BUCKETS);
    assert.equal(config.namespace, '');
    assert.deepEqual([...config.instrumentations], [...INSTRUMENTATION_NAMES]);
    assert.equal(config.logLevel, DiagLogLevel.WARN);
    assert.equal(config.cardinalityLimit, 2000);
    assert.equal(config.exportIntervalMillis, 60000);
    assert.equal(config.exportMigrations, false);
  });

  // [environment, field, expected value]
  const good: Array<[Record<string, string>, string, unknown]> = [
    [{ PROMETHEUS_METRICS_EXPORT_PORT: '8000' }, 'ports', [8000]],
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: '9100' }, 'ports', [9100]],
    [{ PROMETHEUS_METRICS_EXPORT_PORT: '8000', OTEL_EXPORTER_PROMETHEUS_PORT: '9100' }, 'ports', [8000]],
    [{ PROMETHEUS_METRICS_EXPORT_PORT: '65535' }, 'ports', [65535]],
    [{ PROMETHEUS_METRICS_EXPORT_PORT_RANGE: '8001-8004' }, 'ports', [8001, 8002, 8003, 8004]],
    [{ PROMETHEUS_METRICS_EXPORT_PORT_RANGE: '8001,8003' }, 'ports', [8001, 8003]],
    [{ PROMETHEUS_METRICS_EXPORT_PORT_RANGE: '8003-8004,8001-8004,8003' }, 'ports', [8003, 8004, 8001, 8002]],
    [
      { PROMETHEUS_METRICS_EXPORT_PORT_RANGE: Array(1000).fill('1-65535').join(',') },
      'ports',
      Array.from({ length: 65535 }, (_, i) => i + 1),
    ],
    [{ PROMETHEUS_METRICS_EXPORT_PORT_RANGE: '8001-8002,9000', PROMETHEUS_METRICS_EXPORT_PORT: '7000' }, 'ports', [8001, 8002, 9000]],
    [{ PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' }, 'host', '127.0.0.1'],
    [{ OTEL_EXPORTER_PROMETHEUS_HOST: '::1' }, 'host', '::1'],
    [{ PROMETHEUS_METRICS_EXPORT_PATH: '/internal/metrics' }, 'path', '/internal/metrics'],
    [{ PROMETHEUS_LATENCY_BUCKETS: '0.1,0.5,1' }, 'latencyBuckets', [0.1, 0.5, 1]],
    [{ PROMETHEUS_LATENCY_BUCKETS: ' .005, 1e-2 ,2' }, 'latencyBuckets', [0.005, 0.01, 2]],
    [{ PROMETHEUS_METRIC_NAMESPACE: 'shop' }, 'namespace', 'shop'],
    [{ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg' }, 'instrumentations', new Set(['http', 'pg'])],
    [{ OTEL_NODE_ENABLED_INSTRUMENTATIONS: '@opentelemetry/instrumentation-pg' }, 'instrumentations', new Set(['pg'])],
    [
      { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'runtime, ioredis' },
      'instrumentations',
      new Set(INSTRUMENTATION_NAMES.filter((n) => n !== 'runtime' && n !== 'ioredis')),
    ],
    [{ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' }, 'instrumentations', new Set(['http'])],
    [{ OTEL_METRICS_EXPORTER: 'otlp' }, 'otlp', true],
    [{ OTEL_METRICS_EXPORTER: 'otlp' }, 'prometheus', false],
    [{ OTEL_METRICS_EXPORTER: 'prometheus,otlp' }, 'otlp', true],
    [{ OTEL_METRICS_EXPORTER: 'prometheus,otlp' }, 'prometheus', true],
    [{ OTEL_METRICS_EXPORTER: 'none' }, 'prometheus', false],
    [{ OTEL_METRICS_EXPORTER: 'none' }, 'otlp', false],
    [{ OTEL_SDK_DISABLED: 'true' }, 'disabled', true],
    [{ OTEL_SDK_DISABLED: 'TRUE' }, 'disabled', true],
    [{ OTEL_SDK_DISABLED: 'false' }, 'disabled', false],
    [{ OTEL_LOG_LEVEL: 'debug' }, 'logLevel', DiagLogLevel.DEBUG],
    [{ OTEL_LOG_LEVEL: 'NONE' }, 'logLevel', DiagLogLevel.NONE],
    [{ PROMETHEUS_METRICS_CARDINALITY_LIMIT: '50' }, 'cardinalityLimit', 50],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '15000' }, 'exportIntervalMillis', 15000],
    [{ PROMETHEUS_EXPORT_MIGRATIONS: 'true' }, 'exportMigrations', true],
    [{ PROMETHEUS_EXPORT_MIGRATIONS: 'True' }, 'exportMigrations', true],
    [{ PROMETHEUS_EXPORT_MIGRATIONS: 'false' }, 'exportMigrations', false],
    [{ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'mysql2,sqlite' }, 'instrumentations', new Set(['mysql2', 'sqlite'])],
  ];
  for (const [env, field, expected] of good) {
    it(`${JSON.stringify(env)} gives ${field} = ${JSON.stringify(expected instanceof Set ? [...expected] : expected)}`, () => {
      const { config, problems } = parseConfig(env);
      assert.deepEqual(problems, []);
      assert.deepEqual((config as unknown as Record<string, unknown>)[field], expected);
    });
  }

  it('overlapping port ranges list each port once: a thousand 1-65535 ranges are 65535 ports', () => {
    const { config, problems } = parseConfig({ PROMETHEUS_METRICS_EXPORT_PORT_RANGE: Array(1000).fill('1-65535').join(',') });
    assert.deepEqual(problems, []);
    assert.equal(config.ports.length, 65535);
    assert.deepEqual([config.ports[0], config.ports[65534]], [1, 65535]);
  });

  // [environment, the one exact problem line, field, the safe value it falls back to]
  const bad: Array<[Record<string, string>, string, string, unknown]> = [
    [
      { PROMETHEUS_METRICS_EXPORT_PORT: 'abc' },
      'autoprom: PROMETHEUS_METRICS_EXPORT_PORT="abc" is not a port (1-65535); metrics export disabled',
      'prometheus',
      false,
    ],
    [
      { PROMETHEUS_METRICS_EXPORT_PORT: '70000' },
      'autoprom: PROMETHEUS_METRICS_EXPORT_PORT="70000" is not a port (1-65535); metrics export disabled',
      'prometheus',
      false,
    ],
    [
      { PROMETHEUS_METRICS_EXPORT_PORT: '0' },
      'autoprom: PROMETHEUS_METRICS_EXPORT_PORT="0" is not a port (1-65535); metrics export disabled',
      'prometheus',
      false,
    ],
    [
      { OTEL_EXPORTER_PROMETHEUS_PORT: '-1' },
      'autoprom: OTEL_EXPORTER_PROMETHEUS_PORT="-1" is not a port (1-65535); metrics export disabled',
      'prometheus',
      false,
    ],
    [
      { PROMETHEUS_METRICS_EXPORT_PORT_RANGE: '9000-8000' },
      'autoprom: PROMETHEUS_METRICS_EXPORT_PORT_RANGE="9000-8000" is not a port range (expected 8001-8050 or 8001,8003 with ports 1-65535, low to high); metrics export disabled',
      'prometheus',
      false,
    ],
    [
      { PROMETHEUS_METRICS_EXPORT_PORT_RANGE: '8001-x' },
      'autoprom: PROMETHEUS_METRICS_EXPORT_PORT_RANGE="8001-x" is not a port range (expected 8001-8050 or 8001,8003 with ports 1-65535, low to high); metrics export disabled',
      'prometheus',
      false,
    ],
    [
      { PROMETHEUS_LATENCY_BUCKETS: '1,a' },
      'autoprom: PROMETHEUS_LATENCY_BUCKETS="1,a" is not a bucket list (expected comma-separated numbers in seconds, strictly increasing); using the default buckets',
      'latencyBuckets',
      DEFAULT_LATENCY_BUCKETS,
    ],
    [
      { PROMETHEUS_LATENCY_BUCKETS: '1,0.5' },
      'autoprom: PROMETHEUS_LATENCY_BUCKETS="1,0.5" is not a bucket list (expected comma-separated numbers in seconds, strictly increasing); using the default buckets',
      'latencyBuckets',
      DEFAULT_LATENCY_BUCKETS,
    ],
    [
      { PROMETHEUS_LATENCY_BUCKETS: '1,1' },
      'autoprom: PROMETHEUS_LATENCY_BUCKETS="1,1" is not a bucket list (expected comma-separated numbers in seconds, strictly increasing); using the default buckets',
      'latencyBuckets',
      DEFAULT_LATENCY_BUCKETS,
    ],
    [
      { PROMETHEUS_LATENCY_BUCKETS: '1,Infinity' },
      'autoprom: PROMETHEUS_LATENCY_BUCKETS="1,Infinity" is not a bucket list (expected comma-separated numbers in seconds, strictly increasing); using the default buckets',
      'latencyBuckets',
      DEFAULT_LATENCY_BUCKETS,
    ],
    [
      { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,mongo' },
      `autoprom: OTEL_NODE_ENABLED_INSTRUMENTATIONS="mongo" is not an instrumentation (expected a comma list of ${INSTRUMENTATION_NAMES.join(', ')}); that name is ignored`,
      'instrumentations',
      new Set(['http']),
    ],
    [
      { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'memcache' },
      `autoprom: OTEL_NODE_DISABLED_INSTRUMENTATIONS="memcache" is not an instrumentation (expected a comma list of ${INSTRUMENTATION_NAMES.join(', ')}); that name is ignored`,
      'instrumentations',
      new Set(INSTRUMENTATION_NAMES),
    ],
    [
      { OTEL_METRICS_EXPORTER: 'jaeger' },
      'autoprom: OTEL_METRICS_EXPORTER="jaeger" is not an exporter list (expected prometheus, otlp, prometheus,otlp or none); using prometheus',
      'prometheus',
      true,
    ],
    [
      { OTEL_SDK_DISABLED: 'yes' },
      'autoprom: OTEL_SDK_DISABLED="yes" is not a boolean (expected true or false); autoprom stays enabled',
      'disabled',
      false,
    ],
    [
      { OTEL_LOG_LEVEL: 'loud' },
      'autoprom: OTEL_LOG_LEVEL="loud" is not a log level (expected one of none, error, warn, info, debug, verbose, all); using warn',
      'logLevel',
      DiagLogLevel.WARN,
    ],
    [
      { PROMETHEUS_METRIC_NAMESPACE: '9lives' },
      'autoprom: PROMETHEUS_METRIC_NAMESPACE="9lives" is not a metric name prefix (expected letters, digits and _, not starting with a digit); no namespace is used',
      'namespace',
      '',
    ],
    [
      { PROMETHEUS_METRICS_EXPORT_PATH: 'metrics' },
      'autoprom: PROMETHEUS_METRICS_EXPORT_PATH="metrics" is not a path (expected one starting with / and without spaces, ? or #); using /metrics',
      'path',
      '/metrics',
    ],
    [
      { PROMETHEUS_METRICS_CARDINALITY_LIMIT: '1' },
      'autoprom: PROMETHEUS_METRICS_CARDINALITY_LIMIT="1" is not a series limit (expected a whole number from 2 to 1000000); using 2000',
      'cardinalityLimit',
      2000,
    ],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '15s' },
      'autoprom: OTEL_METRIC_EXPORT_INTERVAL="15s" is not an interval (expected a whole number of milliseconds from 1 to 2147483647); using 60000',
      'exportIntervalMillis',
      60000,
    ],
    [
      { PROMETHEUS_EXPORT_MIGRATIONS: 'yes' },
      'autoprom: PROMETHEUS_EXPORT_MIGRATIONS="yes" is not a boolean (expected true or false); migration metrics off',
      'exportMigrations',
      false,
    ],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '0' },
      'autoprom: OTEL_METRIC_EXPORT_INTERVAL="0" is not an interval (expected a whole number of milliseconds from 1 to 2147483647); using 60000',
      'exportIntervalMillis',
      60000,
    ],
  ];
  for (const [env, line, field, fallback] of bad) {
    it(`${JSON.stringify(env)} says exactly one line and falls back`, () => {
      const { config, problems } = parseConfig(env);
      assert.deepEqual(problems, [line]);
      assert.deepEqual((config as unknown as Record<string, unknown>)[field], fallback);
    });
  }

  it('each bad variable says its own line, the good ones still apply', () => {
    const { config, problems } = parseConfig({
      PROMETHEUS_METRICS_EXPORT_PORT: 'abc',
      PROMETHEUS_LATENCY_BUCKETS: '1,a',
      PROMETHEUS_METRIC_NAMESPACE: 'app',
    });
    assert.equal(problems.length, 2);
    assert.equal(config.namespace, 'app');
  });

  describe('PROMETHEUS_EXCLUDE_PATHS', () => {
    const excluded = parseExcludePaths('/healthz, /ready,/internal/*');
    const cases: Array<[string, boolean]> = [
      ['/healthz', true],
      ['/ready', true],
      ['/internal/', true],
      ['/internal/deep/path', true],
      ['/healthz/x', false],
      ['/internal', false],
      ['/', false],
      ['/users/1', false],
    ];
    for (const [path, want] of cases) {
      it(`${path} is ${want ? '' : 'not '}excluded`, () => assert.equal(isExcludedPath(excluded, path), want));
    }
    it('empty setting excludes nothing', () => {
      const none = parseExcludePaths('');
      assert.equal(none.exact.size, 0);
      assert.equal(none.prefixes.length, 0);
    });
  });
});
