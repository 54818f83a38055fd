/**
 * The README's day-one sections, followed as a newcomer would: its scrape config passes promtool,
 * "is it working?" shows what it says, the troubleshooting line is the one autoprom prints, and
 * every ops file it names exists.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, ROOT, startApp } from './helpers/child';
import { OPS, RULES_FILE } from './helpers/ops';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The text of README section `title` (up to the next heading of any level). */
function section(title: string): string {
  const start = README.indexOf(`### ${title}\n`);
  assert.ok(start >= 0, `no README section ${title}`);
  const next = README.slice(start + 4).search(/\n#{2,3} /);
  return README.slice(start, next < 0 ? undefined : start + 4 + next);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('README: day one, followed', function () {
  this.timeout(60000);

  it('its scrape config is one promtool accepts, with the rules it loads', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section('Point Prometheus at it'));
    assert.ok(yaml !== null);
    const dir = mkdtempSync(path.join(tmpdir(), 'autoprom-readme-'));
    try {
      writeFileSync(path.join(dir, 'prometheus.yml'), yaml[1]);
      copyFileSync(RULES_FILE, path.join(dir, 'autoprom-rules.yml'));
      const r = spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('"is it working?": the info line, both grep lines, and exactly one more request per request', async () => {
    const text = section('Is it working?');
    assert.match(text, /`autoprom: metrics endpoint listening on http:\/\/0\.0\.0\.0:9464\/metrics`/);
    const app = await startApp('pipeline-plain.js', { env: { OTEL_LOG_LEVEL: 'info' } });
    try {
      const scrape = async () =>
        (await app.scrapeText()).split('\n').filter((l) => /^(django_http_requests_before_middlewares_total|nodejs_version_info)/.test(l));
      const before = await scrape();
      assert.equal(before.length, 2, before.join('\n'));
      assert.equal(app.stderr(), `autoprom: metrics endpoint listening on http://127.0.0.1:${app.metricsPort}/metrics\n`);
      const count = (lines: string[]) =>
        Number(lines.find((l) => l.startsWith('django_http_requests_before_middlewares_total'))!.split(' ')[1]);
      await (await fetch(`http://127.0.0.1:${app.ready.port as number}/`)).text();
      assert.equal(count(await scrape()), count(before) + 1);
    } finally {
      await app.stop();
    }
  });

  it('troubleshooting quotes the busy-port line exactly as autoprom prints it', async () => {
    const port = await freePort();
    const first = await startApp('pipeline-plain.js', {
      env: { PROMETHEUS_METRICS_EXPORT_PORT: String(port), PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' },
    });
    try {
      await first.scrapeText();
      const second = await startApp('pipeline-plain.js', {
        env: { PROMETHEUS_METRICS_EXPORT_PORT: String(port), PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1' },
      });
      try {
        const quoted = /`(autoprom: cannot listen on [^`]+)`/.exec(section('Troubleshooting'));
        assert.ok(quoted !== null);
        const deadline = Date.now() + 5000;
        while (!second.stderr().includes('cannot listen') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(
          second.stderr(),
          `${quoted[1].replace('0.0.0.0:9464', `127.0.0.1:${port}`).replace('process 4242', `process ${first.child.pid}`)}\n`,
        );
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });

  it('names only ops files that exist, and ops/README.md names every ops file', () => {
    const named = new Set([...README.matchAll(/`(ops\/[^`\s]+)`/g)].map((m) => m[1]));
    assert.ok(named.size >= 6, [...named].join());
    for (const f of named) assert.ok(existsSync(path.join(ROOT, f)), `README names ${f}, which does not exist`);
    const opsReadme = readFileSync(path.join(OPS, 'README.md'), 'utf8');
    for (const f of filesUnder(OPS)
      .map((full) => path.relative(OPS, full))
      .filter((f) => f !== 'README.md')) {
      const named = opsReadme.includes(`\`${f}\``) || opsReadme.includes(`\`${path.dirname(f)}/\``);
      assert.ok(named || f.endsWith('.test.yml'), `ops/README.md does not name ${f}`);
    }
    assert.ok(existsSync(path.join(ROOT, 'docs', 'beyond-one-machine.md')));
    assert.ok(existsSync(path.join(ROOT, 'CHANGELOG.md')));
  });
});
