// `npm start`: runs the demo service under autoprom, sends it traffic, and shows what a
// Prometheus server would scrape. Ctrl-C stops it; `--duration N` stops after N seconds.
//
// Environment: PROMETHEUS_METRICS_EXPORT_PORT (metrics port, default 9464, on 127.0.0.1 unless
// PROMETHEUS_METRICS_EXPORT_ADDRESS says otherwise), DEMO_PORT (the
// service's own port, default any free one), DEMO_PG_PORT (PostgreSQL, default 5432), DEMO_REDIS_PORT
// (Redis, default 6379). Every network step has a timeout: nothing here can hang.
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const args = process.argv.slice(2);
const durationArg = args.indexOf('--duration');
const duration = durationArg >= 0 ? Number(args[durationArg + 1]) : Infinity;
const metricsPort = Number(process.env.PROMETHEUS_METRICS_EXPORT_PORT || 9464);
const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
const root = path.join(__dirname, '..');
const STARTUP_TIMEOUT_MS = 20000;
const FETCH_TIMEOUT_MS = 2000;

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

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(1);
}

/** Whether something already listens on the metrics port (then what answers there is not ours). */
function portTaken(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/** The exposition, if what answers on the metrics port is autoprom's endpoint; else why not. */
async function scrape() {
  let res;
  try {
    res = await fetch(metricsUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    return { problem: `${metricsUrl} did not answer (${err.cause?.code ?? err.name})`, unanswered: true };
  }
  const text = await res.text().catch(() => '');
  if (
    res.status !== 200 ||
    !(res.headers.get('content-type') ?? '').startsWith('text/plain') ||
    !/^django_http_requests_before_middlewares_total /m.test(text)
  ) {
    return {
      problem: `${metricsUrl} answered HTTP ${res.status} (${res.headers.get('content-type') ?? 'no Content-Type'}), which is not autoprom's metrics endpoint`,
    };
  }
  return { text };
}

async function main() {
  if (await portTaken(metricsPort)) {
    fail(
      `port ${metricsPort} is already in use by another program, so autoprom could not serve the demo's metrics there. ` +
        `Stop that program, or pick another port: PROMETHEUS_METRICS_EXPORT_PORT=9465 npm start`,
    );
  }

  // Its own process group: Ctrl-C reaches only this process, which then stops the service in order.
  const child = spawn(process.execPath, ['--require', path.join(root, 'dist', 'register.js'), path.join(__dirname, 'service.js')], {
    env: {
      PROMETHEUS_METRICS_EXPORT_ADDRESS: '127.0.0.1',
      ...process.env,
      PROMETHEUS_METRICS_EXPORT_PORT: String(metricsPort),
      PROMETHEUS_EXCLUDE_PATHS: '/healthz',
      DEMO_EXIT_WITH_PARENT: '1',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  process.on('exit', () => child.kill('SIGTERM'));
  let stopping = false;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', (code, signal) => {
    if (!stopping) fail(`the demo service exited (${code ?? signal})`);
  });

  const ready = await new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => fail(`the demo service did not start within ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /^READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]));
      }
    });
  });

  // The endpoint moves from the preload to its worker thread in the service's first moments: a
  // connection made in that instant can be refused or reset, so the first scrape is retried briefly.
  let first = await scrape();
  for (let tries = 0; first.problem !== undefined && first.unanswered && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    first = await scrape();
  }
  if (first.problem !== undefined) fail(first.problem);

  const { port, used } = ready;
  const base = `http://127.0.0.1:${port}`;
  console.log(`demo service on ${base} (express), running under autoprom`);
  console.log(
    `  PostgreSQL: ${used.postgres ? 'used (orders are inserted into demo_orders)' : `${used.postgresProblem}, so the django_db_* and django_model_* families stay empty`}`,
  );
  console.log(
    `  Redis:      ${used.redis ? 'used (products are cached under backend="demo-cache")' : `${used.redisProblem}, so the django_cache_* families stay empty`}`,
  );
  console.log(`metrics: curl ${metricsUrl}   (Ctrl-C to stop)\n`);

  const send = (pathname, init) =>
    fetch(`${base}${pathname}`, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
      .then((r) => r.arrayBuffer())
      .catch(() => {});
  let n = 0;
  const traffic = setInterval(() => {
    n++;
    void send(`/products/${1 + (n % 45)}?ref=demo`);
    if (n % 3 === 0)
      void send('/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item: `item-${n}` }),
      });
    if (n % 17 === 0) void send('/boom');
    if (n % 5 === 0) void send('/healthz');
  }, 50);

  const show = async () => {
    const { text, problem } = await scrape();
    if (problem !== undefined) {
      if (!stopping) console.log(`(${problem})`);
      return;
    }
    const lines = text.split('\n').filter((l) => TELLING.some((re) => re.test(l)));
    console.log(
      `--- ${new Date().toISOString()} a few lines of the exposition (${text.split('\n').filter((l) => l && !l.startsWith('#')).length} samples in all)`,
    );
    for (const l of lines.slice(0, 24)) console.log(l);
    console.log('');
  };
  const shower = setInterval(show, 3000);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(traffic);
    clearInterval(shower);
    await show();
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    console.log('demo stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (Number.isFinite(duration)) setTimeout(stop, duration * 1000);
}

main().catch((err) => fail(err.stack));
