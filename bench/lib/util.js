'use strict';
// Small helpers of the bench: processes, ports, wrk output, statistics, Markdown tables.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range (32768-60999 on Linux), so that no
 * server listening on port 0 is handed it before the process it is meant for binds it.
 */
async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/** Environment of a measured child: the parent's, without any OTEL_* or PROMETHEUS_* setting. */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTEL_') && !k.startsWith('PROMETHEUS_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
  }
  return { ...env, ...extra };
}

/** `taskset -c <cpu>` in front of a command when pinning is possible. */
function pinned(cpu, command, args) {
  return cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Spawn a server app and wait for its `READY {"port":…}` line. */
function startServer({ cpu, nodeArgs, app, env, cwd }) {
  const [command, args] = pinned(cpu, process.execPath, [...nodeArgs, app]);
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('not ready in 30 s')), 30000);
    const fail = (e) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${app}: ${e.message}\nstdout: ${out}\nstderr: ${err}`));
    };
    child.stdout.on('data', () => {
      const m = /^READY (.*)$/m.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      const ready = JSON.parse(m[1]);
      resolve({
        child,
        port: ready.port,
        pid: ready.pid,
        stderr: () => err,
        exited,
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          const result = await exited;
          clearTimeout(killer);
          return result;
        },
      });
    });
    child.once('exit', (code, signal) => fail(new Error(`exited before READY (code ${code}, signal ${signal})`)));
  });
}

let clockTicks;
/** CPU time (user + system, every thread) a process has used so far, µs (Linux). */
function cpuUsOf(pid) {
  if (clockTicks === undefined) clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process, bytes (Linux). */
function rssOf(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) * 1024;
  } catch {
    return NaN;
  }
}

const TIME_UNITS = { us: 1e-3, ms: 1, s: 1000, m: 60000 };

/** Milliseconds from a wrk duration such as `812.00us`, `1.20ms`, `2.00s`. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m === null ? NaN : Number(m[1]) * TIME_UNITS[m[2]];
}

/** Requests/s, p99 latency, request and error counts from `wrk --latency` output. */
function parseWrk(text) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const p99 = /^\s+99%\s+(\S+)/m.exec(text);
  const total = /^\s+(\d+) requests in/m.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: rps ? Number(rps[1]) : NaN,
    p99Ms: p99 ? wrkMs(p99[1]) : NaN,
    requests: total ? Number(total[1]) : NaN,
    errors: (non2xx ? Number(non2xx[1]) : 0) + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

function runWrk({ cpu, url, seconds, connections }) {
  const [command, args] = pinned(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const result = parseWrk(out);
      if (code !== 0 || !Number.isFinite(result.rps)) reject(new Error(`wrk failed (code ${code}):\n${out}`));
      else resolve({ ...result, raw: out });
    });
  });
}

function httpGet(url, options = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/**
 * GET a metrics URL once the endpoint listens: autoprom's metrics worker takes the port on the
 * app's first event-loop turn, so a connection refused right after start is tried again (5 s at most).
 */
async function metricsGet(url, options = {}) {
  for (const deadline = Date.now() + 5000; ;) {
    try {
      return await httpGet(url, options);
    } catch (err) {
      if (err.code !== 'ECONNREFUSED' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Sum of every sample of one metric name in an exposition text (0 when absent). */
function sampleSum(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function table(header, align, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const fmt = {
  int: (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–'),
  fixed: (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '–'),
  mb: (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : '–'),
  ms: (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : '–'),
  signed: (x, d, unit) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}${unit}` : '–'),
};

module.exports = {
  median,
  freePort,
  onPath,
  cleanEnv,
  pinned,
  startServer,
  rssOf,
  cpuUsOf,
  parseWrk,
  runWrk,
  httpGet,
  metricsGet,
  sampleSum,
  table,
  fmt,
};
