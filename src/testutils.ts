/**
 * Metric assertions for an application's own tests, as django-prometheus's `testutils`: take a
 * snapshot of the metrics, do something, and assert by exactly how much a series moved.
 *
 *     const { snapshot, assertMetricDelta } = require('autoprom/testutils');
 *     const before = await snapshot();
 *     await fetch(`${base}/users/1`);
 *     await assertMetricDelta(before, 1, 'django_http_responses_total_by_status_view_method_total', { view: '/users/:id', status: '200' });
 *
 * Works in any test runner (mocha, node:test, jest…): failures are node:assert AssertionErrors.
 * In-process snapshots need the tests to run under autoprom (`--require autoprom/register`);
 * for an application in another process, pass its metrics URL or port.
 */
import { AssertionError } from 'node:assert';
import { runningInstance } from './core/instance';

/** One sample line of the exposition: `name{labels} value`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Where a snapshot reads the metrics: this process (default), or a metrics URL or port on 127.0.0.1. */
export type MetricsSource = string | number | undefined;

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;

function unescapeLabelValue(v: string): string {
  return v.replace(/\\(n|"|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseSampleValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** The samples of a Prometheus text exposition (0.0.4 or OpenMetrics); comments and blank lines skipped. */
export function parseExposition(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) for (const [, k, v] of m[2].matchAll(LABEL_PAIR)) labels[k] = unescapeLabelValue(v);
    samples.push({ name: m[1], labels, value: parseSampleValue(m[3]) });
  }
  return samples;
}

/** Whether `sample` has every label of `labels` with that value (labels not given may be anything). */
function matches(sample: MetricSample, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (sample.name !== name) return false;
  for (const [k, v] of Object.entries(labels)) if (sample.labels[k] !== v) return false;
  return true;
}

function metricsUrl(source: string | number): string {
  return typeof source === 'number' ? `http://127.0.0.1:${source}/metrics` : source;
}

async function readExposition(source: MetricsSource): Promise<string> {
  if (source === undefined) {
    const running = runningInstance();
    if (running === undefined)
      throw new Error(
        "autoprom testutils: autoprom is not running in this process; run the tests with --require autoprom/register (or --import), or pass the application's metrics URL",
      );
    if (running.renderExposition === undefined)
      throw new Error('autoprom testutils: this process serves no Prometheus exposition (OTEL_METRICS_EXPORTER has no `prometheus`)');
    return running.renderExposition();
  }
  const url = metricsUrl(source);
  // An app that has just started may be handing its port to the metrics worker: a connection
  // refused or reset in that instant is tried again, briefly.
  let res: Response | undefined;
  for (let attempt = 0; res === undefined; attempt++) {
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(10000) });
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const body = await res.text();
  if (res.status !== 200) throw new Error(`autoprom testutils: ${url} answered HTTP ${res.status}`);
  return body;
}

/** The metrics at one moment. */
export class MetricsSnapshot {
  constructor(
    readonly samples: readonly MetricSample[],
    /** Where it was read, so that `delta` can read again from the same place. */
    readonly source: MetricsSource = undefined,
  ) {}

  /**
   * The value of sample `name` (`..._total`, `..._count`, `..._bucket` with `le`…) summed over the
   * series that carry every label given; 0 when there is none (a series not yet created).
   */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    let sum = 0;
    for (const s of this.samples) if (matches(s, name, labels)) sum += s.value;
    return sum;
  }

  /** Every sample named `name`. */
  samplesOf(name: string): MetricSample[] {
    return this.samples.filter((s) => s.name === name);
  }

  /** By how much `name{labels}` moved since this snapshot (reads the metrics again, from the same source). */
  async delta(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    return delta(this, await snapshot(this.source), name, labels);
  }
}

/** A snapshot of the metrics of this process (default), or of the application at a metrics URL or port. */
export async function snapshot(source?: MetricsSource): Promise<MetricsSnapshot> {
  return new MetricsSnapshot(parseExposition(await readExposition(source)), source);
}

/** `after.value(name, labels) - before.value(name, labels)`. */
export function delta(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  return after.value(name, labels) - before.value(name, labels);
}

function describe(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

/**
 * Asserts that `name{labels}` moved by exactly `expected` since `before` (django's
 * `assert_metric_diff`). Throws an AssertionError saying what it moved by.
 */
export async function assertMetricDelta(
  before: MetricsSnapshot,
  expected: number,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<void> {
  const actual = await before.delta(name, labels);
  if (actual !== expected) {
    throw new AssertionError({
      message: `${describe(name, labels)} moved by ${actual}, expected ${expected}`,
      actual,
      expected,
      operator: 'assertMetricDelta',
    });
  }
}

/** Asserts that `name{labels}` is exactly `expected` now (django's `assert_metric_equal`). */
export async function assertMetricEquals(
  expected: number,
  name: string,
  labels: Readonly<Record<string, string>> = {},
  source?: MetricsSource,
): Promise<void> {
  const actual = (await snapshot(source)).value(name, labels);
  if (actual !== expected) {
    throw new AssertionError({
      message: `${describe(name, labels)} is ${actual}, expected ${expected}`,
      actual,
      expected,
      operator: 'assertMetricEquals',
    });
  }
}
