'use strict';
// Runs inside one child process per exporter (node --expose-gc): memory of the series is
// the heap after recording minus the heap before, both after a full GC; scrape time is the
// wall time of the exporter's own render call (what its /metrics endpoint runs) plus the
// UTF-8 encoding of the body that writing it costs, median of N.

function heap() {
  global.gc();
  global.gc();
  return process.memoryUsage();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** subject: { setup(): void|Promise<void>, render(): Promise<string> } */
async function measure(subject) {
  const scrapes = Number(process.env.BENCH_SCRAPES || 20);
  const before = heap();
  await subject.setup();
  const after = heap();
  let body = await subject.render();
  for (let i = 0; i < 3; i++) body = await subject.render(); // warm the JIT
  const times = [];
  for (let i = 0; i < scrapes; i++) {
    const t0 = process.hrtime.bigint();
    body = await subject.render();
    Buffer.from(body); // the endpoint writes bytes: a string built by concatenation is flattened and encoded here
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  let series = 0;
  for (const line of body.split('\n')) if (line !== '' && line[0] !== '#') series++;
  const rss = process.memoryUsage().rss;
  process.stdout.write(
    `RESULT ${JSON.stringify({
      series,
      bytes: Buffer.byteLength(body),
      medianMs: median(times),
      minMs: Math.min(...times),
      heapDelta: after.heapUsed - before.heapUsed,
      rss,
      scrapes,
    })}\n`,
  );
  if (process.env.BENCH_DUMP) require('node:fs').writeFileSync(process.env.BENCH_DUMP, body);
}

module.exports = { measure };
