/**
 * The environment, turned into one typed, validated object. Pure: `parseConfig(env)` never
 * throws and never prints; each bad value becomes one `problems` line that names the
 * variable, the value and what was expected, and the setting falls back to a safe value.
 */
import { DiagLogLevel } from '@opentelemetry/api';

/** Web frameworks whose route templates and errors feed the HTTP server families. */
export const FRAMEWORK_NAMES = ['express', 'fastify', 'koa', 'next', 'hono', 'nestjs', 'hapi', 'restify'] as const;
export const INSTRUMENTATION_NAMES = [
  'http',
  'undici',
  ...FRAMEWORK_NAMES,
  'pg',
  'postgres',
  'mysql2',
  'sqlite',
  'ioredis',
  'redis',
  'memjs',
  'runtime',
  'prom-client',
] as const;
export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 25, 50, 75];
export const DEFAULT_PORT = 9464;
export const DEFAULT_CARDINALITY_LIMIT = 2000;
export const DEFAULT_EXPORT_INTERVAL_MS = 60000;

export interface ExcludedPaths {
  /** Paths excluded exactly (`/healthz`). */
  readonly exact: ReadonlySet<string>;
  /** Prefixes from entries ending in `*` (`/internal/*` gives `/internal/`). */
  readonly prefixes: readonly string[];
}

export interface Config {
  /** OTEL_SDK_DISABLED=true: the preload does nothing at all. */
  readonly disabled: boolean;
  /** Serve the Prometheus endpoint (OTEL_METRICS_EXPORTER has `prometheus`, and the port is valid). */
  readonly prometheus: boolean;
  /** Push with OTLP (OTEL_METRICS_EXPORTER has `otlp`); the OTLP exporter reads OTEL_EXPORTER_OTLP_*. */
  readonly otlp: boolean;
  /** Ports to try in order: the first free one wins. */
  readonly ports: readonly number[];
  /** PROMETHEUS_METRICS_EXPORT_PORT_RANGE is set: each process has its own port (no sum over a service's processes). */
  readonly portRange: boolean;
  /** Bind address; undefined means all interfaces. */
  readonly host: string | undefined;
  /** Path of the metrics endpoint. */
  readonly path: string;
  /** PROMETHEUS_METRICS_EXPORT_SERVER: open autoprom's own port (false: only `metricsHandler` serves, inside the app). */
  readonly server: boolean;
  readonly latencyBuckets: readonly number[];
  /** Prefix `<namespace>_` on django families ('' for none). */
  readonly namespace: string;
  readonly excludePaths: ExcludedPaths;
  readonly instrumentations: ReadonlySet<InstrumentationName>;
  readonly logLevel: DiagLogLevel;
  /** Series per labelled family before new label sets fold into one overflow series. */
  readonly cardinalityLimit: number;
  /** OTEL_METRIC_EXPORT_INTERVAL: milliseconds between OTLP pushes. */
  readonly exportIntervalMillis: number;
  /** PROMETHEUS_EXPORT_MIGRATIONS=true: the migration gauges, read from the ORMs' migration tables. */
  readonly exportMigrations: boolean;
}

export interface ParsedConfig {
  readonly config: Config;
  /** One line per bad value, ready for stderr. */
  readonly problems: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

function problem(variable: string, value: string, expected: string, consequence: string): string {
  return `autoprom: ${variable}=${JSON.stringify(value)} ${expected}; ${consequence}`;
}

/** The value of the first of `names` that is set and not blank, with the name it came from. */
function firstSet(env: Env, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return [name, v.trim()];
  }
  return undefined;
}

/** A TCP port, 1-65535, or undefined. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `8001-8050` or `8001,8003` (or a mix) as the list of ports in order, or undefined. */
export function parsePortRange(text: string): number[] | undefined {
  // Each port once, in the order given: overlapping ranges never make the list longer than 65535.
  const ports = new Set<number>();
  for (const part of text.split(',')) {
    const item = part.trim();
    const m = /^(\d+)\s*-\s*(\d+)$/.exec(item);
    if (m !== null) {
      const lo = parsePort(m[1]);
      const hi = parsePort(m[2]);
      if (lo === undefined || hi === undefined || lo > hi) return undefined;
      if (ports.size < 65535) for (let p = lo; p <= hi; p++) ports.add(p);
    } else {
      const p = parsePort(item);
      if (p === undefined) return undefined;
      ports.add(p);
    }
  }
  return ports.size > 0 ? [...ports] : undefined;
}

/** Comma-separated, finite, strictly increasing numbers, or undefined. */
export function parseBuckets(text: string): number[] | undefined {
  const parts = text.split(',').map((s) => s.trim());
  const values: number[] = [];
  for (const p of parts) {
    if (p === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(p)) return undefined;
    const n = Number(p);
    if (!Number.isFinite(n)) return undefined;
    if (values.length > 0 && n <= values[values.length - 1]) return undefined;
    values.push(n);
  }
  return values.length > 0 ? values : undefined;
}

/** Exact paths and `prefix*` entries. */
export function parseExcludePaths(text: string): ExcludedPaths {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return { exact, prefixes };
}

/** Whether a request path (no query string) is excluded. */
export function isExcludedPath(excluded: ExcludedPaths, path: string): boolean {
  if (excluded.exact.has(path)) return true;
  for (const prefix of excluded.prefixes) if (path.startsWith(prefix)) return true;
  return false;
}

function parseInstrumentationList(variable: string, text: string, problems: string[]): Set<InstrumentationName> {
  const names = new Set<InstrumentationName>();
  const known = INSTRUMENTATION_NAMES as readonly string[];
  for (const part of text.split(',')) {
    // OpenTelemetry's own variables also accept full package-style names; take the last word.
    const name = part
      .trim()
      .toLowerCase()
      .replace(/^@opentelemetry\/instrumentation-/, '');
    if (name === '') continue;
    if (known.includes(name)) names.add(name as InstrumentationName);
    else
      problems.push(
        problem(
          variable,
          part.trim(),
          `is not an instrumentation (expected a comma list of ${INSTRUMENTATION_NAMES.join(', ')})`,
          'that name is ignored',
        ),
      );
  }
  return names;
}

/** A whole-number variable within [min, max]; else `fallback`, with one problem line. */
function wholeNumber(env: Env, variable: string, min: number, max: number, expected: string, fallback: number, problems: string[]): number {
  const setting = firstSet(env, variable);
  if (setting === undefined) return fallback;
  const n = /^\d+$/.test(setting[1]) ? Number(setting[1]) : NaN;
  if (n >= min && n <= max) return n;
  problems.push(problem(setting[0], setting[1], expected, `using ${fallback}`));
  return fallback;
}

const NAMESPACE_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parseConfig(env: Env): ParsedConfig {
  const problems: string[] = [];

  const disabledText = env.OTEL_SDK_DISABLED?.trim().toLowerCase() ?? '';
  if (disabledText !== '' && disabledText !== 'true' && disabledText !== 'false') {
    problems.push(
      problem('OTEL_SDK_DISABLED', env.OTEL_SDK_DISABLED ?? '', 'is not a boolean (expected true or false)', 'autoprom stays enabled'),
    );
  }
  const disabled = disabledText === 'true';

  // Exporters.
  let prometheus = true;
  let otlp = false;
  const exporterSetting = firstSet(env, 'OTEL_METRICS_EXPORTER');
  if (exporterSetting !== undefined) {
    const items = exporterSetting[1]
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    const bad = items.filter((s) => s !== 'prometheus' && s !== 'otlp' && s !== 'none');
    if (bad.length > 0 || items.length === 0) {
      problems.push(
        problem(
          'OTEL_METRICS_EXPORTER',
          exporterSetting[1],
          'is not an exporter list (expected prometheus, otlp, prometheus,otlp or none)',
          'using prometheus',
        ),
      );
    } else {
      prometheus = items.includes('prometheus');
      otlp = items.includes('otlp');
    }
  }

  // Port, port range, host, path.
  let ports: number[] = [DEFAULT_PORT];
  let portRange = false;
  const range = firstSet(env, 'PROMETHEUS_METRICS_EXPORT_PORT_RANGE');
  const port = firstSet(env, 'PROMETHEUS_METRICS_EXPORT_PORT', 'OTEL_EXPORTER_PROMETHEUS_PORT');
  if (range !== undefined) {
    const parsed = parsePortRange(range[1]);
    if (parsed === undefined) {
      problems.push(
        problem(
          range[0],
          range[1],
          'is not a port range (expected 8001-8050 or 8001,8003 with ports 1-65535, low to high)',
          'metrics export disabled',
        ),
      );
      prometheus = false;
    } else {
      ports = parsed;
      portRange = true;
    }
  } else if (port !== undefined) {
    const parsed = parsePort(port[1]);
    if (parsed === undefined) {
      problems.push(problem(port[0], port[1], 'is not a port (1-65535)', 'metrics export disabled'));
      prometheus = false;
    } else ports = [parsed];
  }
  const hostSetting = firstSet(env, 'PROMETHEUS_METRICS_EXPORT_ADDRESS', 'OTEL_EXPORTER_PROMETHEUS_HOST');
  const host = hostSetting?.[1];

  let path = '/metrics';
  const pathSetting = firstSet(env, 'PROMETHEUS_METRICS_EXPORT_PATH');
  if (pathSetting !== undefined) {
    if (/[^\x20-\x7e]/.test(pathSetting[1])) {
      problems.push(
        problem(
          pathSetting[0],
          pathSetting[1],
          'is not a path (expected ASCII characters only: percent-encode others, e.g. /m%C3%A9triques)',
          'using /metrics',
        ),
      );
    } else if (!pathSetting[1].startsWith('/') || /[\s?#]/.test(pathSetting[1])) {
      problems.push(
        problem(
          pathSetting[0],
          pathSetting[1],
          'is not a path (expected one starting with / and without spaces, ? or #)',
          'using /metrics',
        ),
      );
    } else path = pathSetting[1];
  }

  let server = true;
  const serverSetting = firstSet(env, 'PROMETHEUS_METRICS_EXPORT_SERVER');
  if (serverSetting !== undefined) {
    const text = serverSetting[1].toLowerCase();
    if (text === 'true' || text === 'false') server = text === 'true';
    else
      problems.push(
        problem(serverSetting[0], serverSetting[1], 'is not a boolean (expected true or false)', "autoprom's own metrics port stays open"),
      );
  }

  // Buckets.
  let latencyBuckets = DEFAULT_LATENCY_BUCKETS;
  const bucketSetting = firstSet(env, 'PROMETHEUS_LATENCY_BUCKETS');
  if (bucketSetting !== undefined) {
    const parsed = parseBuckets(bucketSetting[1]);
    if (parsed === undefined) {
      problems.push(
        problem(
          bucketSetting[0],
          bucketSetting[1],
          'is not a bucket list (expected comma-separated numbers in seconds, strictly increasing)',
          'using the default buckets',
        ),
      );
    } else latencyBuckets = parsed;
  }

  // Namespace.
  let namespace = '';
  const nsSetting = firstSet(env, 'PROMETHEUS_METRIC_NAMESPACE');
  if (nsSetting !== undefined) {
    const ns = nsSetting[1];
    if (NAMESPACE_RE.test(ns) && ns.startsWith('_')) {
      problems.push(
        problem(
          nsSetting[0],
          ns,
          'is not a metric name prefix (expected it to start with a letter: names starting with _ are reserved)',
          'no namespace is used',
        ),
      );
    } else if (NAMESPACE_RE.test(ns) && (ns.includes('__') || ns.endsWith('_'))) {
      problems.push(
        problem(
          nsSetting[0],
          ns,
          'is not a metric name prefix (expected single _ between letters and digits, not at the end: the exposition folds __ into _)',
          'no namespace is used',
        ),
      );
    } else if (!NAMESPACE_RE.test(ns)) {
      problems.push(
        problem(
          nsSetting[0],
          nsSetting[1],
          'is not a metric name prefix (expected letters, digits and _, not starting with a digit)',
          'no namespace is used',
        ),
      );
    } else namespace = nsSetting[1];
  }

  const excludePaths = parseExcludePaths(env.PROMETHEUS_EXCLUDE_PATHS ?? '');

  // Instrumentations.
  let instrumentations = new Set<InstrumentationName>(INSTRUMENTATION_NAMES);
  const enabled = firstSet(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  if (enabled !== undefined) instrumentations = parseInstrumentationList(enabled[0], enabled[1], problems);
  const disabledList = firstSet(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  if (disabledList !== undefined) {
    for (const name of parseInstrumentationList(disabledList[0], disabledList[1], problems)) instrumentations.delete(name);
  }

  // Log level.
  let logLevel = DiagLogLevel.WARN;
  const levelSetting = firstSet(env, 'OTEL_LOG_LEVEL');
  if (levelSetting !== undefined) {
    const level = LOG_LEVELS[levelSetting[1].toLowerCase()];
    if (level === undefined) {
      problems.push(
        problem(
          levelSetting[0],
          levelSetting[1],
          `is not a log level (expected one of ${Object.keys(LOG_LEVELS).join(', ')})`,
          'using warn',
        ),
      );
    } else logLevel = level;
  }

  const cardinalityLimit = wholeNumber(
    env,
    'PROMETHEUS_METRICS_CARDINALITY_LIMIT',
    2,
    1_000_000,
    'is not a series limit (expected a whole number from 2 to 1000000)',
    DEFAULT_CARDINALITY_LIMIT,
    problems,
  );
  const exportIntervalMillis = wholeNumber(
    env,
    'OTEL_METRIC_EXPORT_INTERVAL',
    1,
    2_147_483_647,
    'is not an interval (expected a whole number of milliseconds from 1 to 2147483647)',
    DEFAULT_EXPORT_INTERVAL_MS,
    problems,
  );

  const migrationsSetting = firstSet(env, 'PROMETHEUS_EXPORT_MIGRATIONS');
  const migrationsText = migrationsSetting?.[1].toLowerCase();
  if (migrationsSetting !== undefined && migrationsText !== 'true' && migrationsText !== 'false') {
    problems.push(
      problem(migrationsSetting[0], migrationsSetting[1], 'is not a boolean (expected true or false)', 'migration metrics off'),
    );
  }
  const exportMigrations = migrationsText === 'true';

  return {
    config: {
      disabled,
      prometheus,
      otlp,
      ports,
      portRange,
      host,
      path,
      server,
      latencyBuckets,
      namespace,
      excludePaths,
      instrumentations,
      logLevel,
      cardinalityLimit,
      exportIntervalMillis,
      exportMigrations,
    },
    problems,
  };
}
