// `npm start`: runs the demo service under autoprom, sends it traffic, and shows what a
// Prometheus server would scrape. Ctrl-C stops it; `--duration N` stops after N seconds.
const { spawn } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const durationArg = args.indexOf('--duration');
const duration = durationArg >= 0 ? Number(args[durationArg + 1]) : Infinity;
const metricsPort = Number(process.env.PROMETHEUS_METRICS_EXPORT_PORT || 9464);
const root = path.join(__dirname, '..');

const child = spawn(process.execPath, ['--require', path.join(root, 'dist', 'register.js'), path.join(__dirname, 'service.js')], {
  env: { ...process.env, PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort), PROMETHEUS_EXCLUDE_PATHS: '/healthz' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.setEncoding('utf8').on('data', (d) => {
  out += d;
  const m = /^READY (.*)$/m.exec(out);
  if (m && !started) start(JSON.parse(m[1]));
});
child.on('exit', (code, signal) => {
  if (!stopping) {
    console.error(`demo service exited (${code ?? signal})`);
    process.exit(1);
  }
});

let started = false;
let stopping = false;
const TELLING = [
  /^django_http_requests_total_by_method_total/,
  /^django_http_responses_total_by_status_view_method_total/,
  /^django_http_requests_latency_seconds_by_view_method_count/,
  /^django_http_exceptions_total_by_type_total/,
  /^django_db_execute_total/,
  /^django_model_(inserts|deletes)_total/,
  /^django_cache_get_(hits|misses)_total/,
  /^process_resident_memory_bytes/,
  /^nodejs_eventloop_lag_seconds /,
];

function start({ port, used }) {
  started = true;
  const base = `http://127.0.0.1:${port}`;
  console.log(`demo service on ${base} (express), running under autoprom`);
  console.log(
    `  PostgreSQL: ${used.postgres ? 'used (orders are inserted into demo_orders)' : `not reachable on 127.0.0.1:${process.env.DEMO_PG_PORT || 5432}, so the django_db_* and django_model_* families stay empty`}`,
  );
  console.log(
    `  Redis:      ${used.redis ? 'used (products are cached under backend="demo-cache")' : `not reachable on 127.0.0.1:${process.env.DEMO_REDIS_PORT || 6379}, so the django_cache_* families stay empty`}`,
  );
  console.log(`metrics: curl http://127.0.0.1:${metricsPort}/metrics   (Ctrl-C to stop)\n`);

  let n = 0;
  const traffic = setInterval(() => {
    n++;
    const id = 1 + (n % 45);
    void fetch(`${base}/products/${id}?ref=demo`)
      .then((r) => r.arrayBuffer())
      .catch(() => {});
    if (n % 3 === 0)
      void fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item: `item-${n}` }),
      })
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    if (n % 17 === 0)
      void fetch(`${base}/boom`)
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    if (n % 5 === 0)
      void fetch(`${base}/healthz`)
        .then((r) => r.arrayBuffer())
        .catch(() => {});
  }, 50);

  const show = async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const lines = text.split('\n').filter((l) => TELLING.some((re) => re.test(l)));
      console.log(
        `--- ${new Date().toISOString()} a few lines of the exposition (${text.split('\n').filter((l) => l && !l.startsWith('#')).length} samples in all)`,
      );
      for (const l of lines.slice(0, 24)) console.log(l);
      console.log('');
    } catch (err) {
      console.log(`(could not scrape the metrics endpoint: ${err.message})`);
    }
  };
  const shower = setInterval(show, 3000);
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(traffic);
    clearInterval(shower);
    await show();
    child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (Number.isFinite(duration)) setTimeout(stop, duration * 1000);
}
