/** The Grafana dashboard file: generated, importable into Grafana 10+, every query filtered by the job and instance variables. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers/child';
import { dashboard, dashboardQueries, DASHBOARD_FILE, interpolate, readsFamily } from './helpers/ops';

const { renderDashboard } = require(path.join(ROOT, 'scripts', 'ops-dashboard.js')) as { renderDashboard: () => string };

describe('ops: Grafana dashboard (unit)', () => {
  const d = dashboard();

  it('is exactly what scripts/ops-dashboard.js renders', () => {
    assert.equal(readFileSync(DASHBOARD_FILE, 'utf8'), renderDashboard(), 'run `node scripts/ops-dashboard.js`');
  });

  it('is a Grafana 10+ dashboard with datasource, job and instance variables', () => {
    assert.ok(d.schemaVersion >= 38, `schemaVersion ${d.schemaVersion}`);
    assert.equal(d.uid, 'autoprom-service');
    assert.deepEqual(
      d.templating.list.map((v) => `${v.name}:${v.type}`),
      ['datasource:datasource', 'job:query', 'instance:query'],
    );
  });

  it('gives every panel a unique id, the datasource variable, and a place that overlaps no other', () => {
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of d.panels) {
      if (p.type !== 'row') assert.equal(p.datasource?.uid, '${datasource}', p.title);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('has the rows the kit promises: HTTP by view, database, models, cache, runtime', () => {
    assert.deepEqual(
      d.panels.filter((p) => p.type === 'row').map((p) => p.title),
      ['Overview', 'HTTP by view', 'Database', 'Models', 'Cache', 'Runtime'],
    );
  });

  it('filters every series selector of every query by $job and $instance', () => {
    for (const q of dashboardQueries()) {
      const selectors = q.expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g) ?? [];
      assert.ok(selectors.length > 0, `${q.panel}: ${q.expr}`);
      for (const s of selectors) assert.match(s, /\{job=~"\$job", instance=~"\$instance"/, `${q.panel}: ${s}`);
    }
  });

  it('interpolate replaces Grafana variables and refuses an unknown one', () => {
    assert.equal(interpolate('rate(x{job=~"$job"}[$__rate_interval])', { job: 'a', __rate_interval: '10s' }), 'rate(x{job=~"a"}[10s])');
    assert.throws(() => interpolate('x{a="$nope"}', {}), /no value for \$nope/);
  });

  it('readsFamily matches whole family names only', () => {
    const table: Array<[string, string, boolean]> = [
      ['autoprom_eventloop_blocked_seconds > 5', 'autoprom_eventloop_blocked_seconds', true],
      ['max(autoprom_eventloop_blocked_seconds{job="a"})', 'autoprom_eventloop_blocked_seconds', true],
      ['django_migrations_applied_total_x', 'django_migrations_applied_total', false],
      ['rate(django_db_errors_total[5m])', 'django_db_errors', false],
    ];
    for (const [expr, name, want] of table) assert.equal(readsFamily(expr, name), want, `${name} in ${expr}`);
  });
});
