/**
 * The ops kit's Prometheus rules: promtool accepts them, their unit tests pass, every alert has a
 * test where it fires and one where it stays silent, and those tests bite (an alert that never
 * fires, or always fires, fails them).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dump } from 'js-yaml';
import { readYaml, RULES_FILE, RULES_TEST_FILE, rules } from './helpers/ops';

function promtool(args: string[], cwd?: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd });
  if (r.error !== undefined) throw new Error(`promtool not found (${r.error.message}): apt-get update && apt-get install -y prometheus`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[];
}

describe('ops: Prometheus alert and recording rules (promtool)', function () {
  this.timeout(120000);
  const alerts = rules()
    .filter((r) => r.alert !== undefined)
    .map((r) => r.alert!);

  it('promtool check rules accepts every rule', () => {
    const { status, out } = promtool(['check', 'rules', RULES_FILE]);
    assert.equal(status, 0, out);
    assert.match(out, new RegExp(`SUCCESS: ${rules().length} rules found`));
  });

  it('covers what the kit promises: error rate, latency, DB errors, cache hit ratio, blocked loop, migrations, target down', () => {
    assert.deepEqual(alerts, [
      'AutopromTargetDown',
      'AutopromHighErrorRatio',
      'AutopromHighLatency',
      'AutopromDatabaseErrors',
      'AutopromDatabaseConnectionErrors',
      'AutopromCacheHitRatioLow',
      'AutopromCacheReadFailures',
      'AutopromEventLoopBlocked',
      'AutopromEventLoopLagHigh',
      'AutopromMigrationsUnapplied',
    ]);
  });

  it('promtool test rules passes the unit tests', () => {
    const { status, out } = promtool(['test', 'rules', RULES_TEST_FILE]);
    assert.equal(status, 0, out);
    assert.match(out, /SUCCESS/);
  });

  it('every alert has a unit test where it fires and one where it stays silent', () => {
    const doc = readYaml(RULES_TEST_FILE) as { tests: Array<{ alert_rule_test?: AlertTest[] }> };
    const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert} has no test where it fires`,
      );
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert} has no test where it stays silent`,
      );
    }
  });

  it('the unit tests bite: each alert made never to fire, or always to fire, fails them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-rules-'));
    try {
      copyFileSync(RULES_TEST_FILE, path.join(dir, 'autoprom-rules.test.yml'));
      const doc = readYaml(RULES_FILE) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
      for (const alert of alerts) {
        for (const [mutation, expr] of [
          ['never fires', 'vector(1) unless vector(1)'],
          ['always fires', 'vector(1)'],
        ]) {
          const mutated = structuredClone(doc);
          for (const g of mutated.groups) for (const r of g.rules) if (r.alert === alert) r.expr = expr;
          writeFileSync(path.join(dir, 'autoprom-rules.yml'), dump(mutated));
          const { status, out } = promtool(['test', 'rules', 'autoprom-rules.test.yml'], dir);
          assert.notEqual(status, 0, `${alert} ${mutation}, yet its unit tests pass:\n${out}`);
          assert.match(out, new RegExp(`alertname: ${alert}`), `${alert} ${mutation}: the failure is not this alert's:\n${out}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
