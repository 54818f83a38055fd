import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CATALOGUE } from '../src/catalogue';
import { ROOT } from './helpers/child';

const { renderMetricTables, currentBlock } = require(path.join(ROOT, 'scripts', 'readme-metrics.js')) as {
  renderMetricTables: (c: typeof CATALOGUE) => string;
  currentBlock: (readme: string) => [number, number];
};

describe('README', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('its metric tables are exactly what the catalogue renders', () => {
    const [a, b] = currentBlock(readme);
    assert.equal(readme.slice(a, b), renderMetricTables(CATALOGUE), 'run `npm run build && node scripts/readme-metrics.js`');
  });

  it('documents every configuration variable', () => {
    const vars = [
      'PROMETHEUS_METRICS_EXPORT_PORT',
      'OTEL_EXPORTER_PROMETHEUS_PORT',
      'PROMETHEUS_METRICS_EXPORT_ADDRESS',
      'OTEL_EXPORTER_PROMETHEUS_HOST',
      'PROMETHEUS_METRICS_EXPORT_PORT_RANGE',
      'PROMETHEUS_METRICS_EXPORT_PATH',
      'PROMETHEUS_LATENCY_BUCKETS',
      'PROMETHEUS_METRIC_NAMESPACE',
      'PROMETHEUS_EXCLUDE_PATHS',
      'PROMETHEUS_METRICS_CARDINALITY_LIMIT',
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
      'OTEL_METRICS_EXPORTER',
      'OTEL_SDK_DISABLED',
      'OTEL_LOG_LEVEL',
      'OTEL_METRIC_EXPORT_INTERVAL',
    ];
    for (const v of vars) assert.match(readme, new RegExp(`\`${v}\``), `${v} is not documented`);
  });

  it('every catalogue family name appears in the README', () => {
    for (const f of CATALOGUE) assert.ok(readme.includes(`\`${f.name}\``), f.name);
  });
});
