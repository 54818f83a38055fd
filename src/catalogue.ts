import type { FamilyArea, FamilySpec, FamilyType } from './core/catalogue-types';

export type { FamilySpec, FamilyType, FamilyArea, BucketSpec } from './core/catalogue-types';

const DB = ['alias', 'vendor'] as const;
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

type Row<N extends string, T extends FamilyType> = FamilySpec<N, T>;
type Buckets = FamilySpec['buckets'];

/** A row maker for one area: the name and type literals are kept, so the catalogue types its names. */
function rowsOf(area: FamilyArea, namespaced: boolean) {
  return <N extends string, T extends FamilyType>(
    name: N,
    type: T,
    help: string,
    labels: readonly string[],
    source: string,
    buckets?: Buckets,
  ): Row<N, T> => ({ name, type, help, labels, source, buckets, area, namespaced });
}
const http = rowsOf('http', true);
const db = rowsOf('db', true);
const rt = rowsOf('runtime', false);
const processRow = rowsOf('process', false);
function model<N extends string>(name: N, help: string, source: string): Row<N, 'counter'> {
  return { name, type: 'counter', help, labels: ['model'], source, area: 'models', namespaced: true };
}
function migrations<N extends string>(name: N, help: string, source: string): Row<N, 'gauge'> {
  return { name, type: 'gauge', help, labels: ['connection'], source, area: 'migrations', namespaced: true };
}
function cache<N extends string>(name: N, help: string, source: string): Row<N, 'counter'> {
  return { name, type: 'counter', help, labels: ['backend'], source, area: 'cache', namespaced: true };
}
function proc<N extends string, T extends FamilyType>(name: N, type: T, help: string, source: string): Row<N, T> {
  return processRow(name, type, help, [], source);
}

/**
 * Every family autoprom exposes. Names, types, help texts, labels and buckets are those of
 * django-prometheus 2.5.0 (django_*) and prom-client's default metrics (process_*, nodejs_*).
 */
export const CATALOGUE = [
  // ---- HTTP server (django_prometheus.middleware) ----
  http(
    'django_http_requests_before_middlewares_total',
    'counter',
    'Total count of requests before middlewares run.',
    [],
    'request received (not excluded)',
  ),
  http(
    'django_http_responses_before_middlewares_total',
    'counter',
    'Total count of responses before middlewares run.',
    [],
    'response finished',
  ),
  http(
    'django_http_requests_latency_including_middlewares_seconds',
    'histogram',
    'Histogram of requests processing time (including middleware processing time).',
    [],
    'request received to response finished',
    'latency',
  ),
  http(
    'django_http_requests_unknown_latency_including_middlewares_total',
    'counter',
    'Count of requests for which the latency was unknown (when computing django_http_requests_latency_including_middlewares_seconds).',
    [],
    'connection closed before the response finished',
  ),
  http(
    'django_http_requests_latency_seconds_by_view_method',
    'histogram',
    'Histogram of request processing time labelled by view.',
    ['view', 'method'],
    'request received to response finished, by route template',
    'latency',
  ),
  http(
    'django_http_requests_unknown_latency_total',
    'counter',
    'Count of requests for which the latency was unknown.',
    [],
    'connection closed before the response finished',
  ),
  http('django_http_ajax_requests_total', 'counter', 'Count of AJAX requests.', [], 'requests with X-Requested-With: XMLHttpRequest'),
  http(
    'django_http_requests_total_by_method_total',
    'counter',
    'Count of requests by method.',
    ['method'],
    'standard method, else <invalid method>',
  ),
  http('django_http_requests_total_by_transport_total', 'counter', 'Count of requests by transport.', ['transport'], 'http or https'),
  http(
    'django_http_requests_total_by_view_transport_method_total',
    'counter',
    'Count of requests by view, transport, method.',
    ['view', 'transport', 'method'],
    'requests by route template',
  ),
  http(
    'django_http_requests_body_total_bytes',
    'histogram',
    'Histogram of requests by body size.',
    [],
    'request Content-Length (0 when absent or not a number)',
    'pow2',
  ),
  http(
    'django_http_responses_total_by_templatename_total',
    'counter',
    'Count of responses by template name.',
    ['templatename'],
    'template rendered by express res.render',
  ),
  http('django_http_responses_total_by_status_total', 'counter', 'Count of responses by status.', ['status'], 'response status code'),
  http(
    'django_http_responses_total_by_status_view_method_total',
    'counter',
    'Count of responses by status, view, method.',
    ['status', 'view', 'method'],
    'response status by route template',
  ),
  http(
    'django_http_responses_body_total_bytes',
    'histogram',
    'Histogram of responses by body size.',
    [],
    'body bytes of responses sent with a Content-Length',
    'pow2',
  ),
  http(
    'django_http_responses_total_by_charset_total',
    'counter',
    'Count of responses by charset.',
    ['charset'],
    'charset= of the response Content-Type',
  ),
  http(
    'django_http_responses_streaming_total',
    'counter',
    'Count of streaming responses.',
    [],
    'responses sent without Content-Length (chunked)',
  ),
  http(
    'django_http_exceptions_total_by_type_total',
    'counter',
    'Count of exceptions by object type.',
    ['type'],
    'class name of an error the web framework answered with a 5xx (never a deliberate 4xx)',
  ),
  http(
    'django_http_exceptions_total_by_view_total',
    'counter',
    'Count of exceptions by view.',
    ['view'],
    'view of the request whose error was answered with a 5xx',
  ),

  // ---- Outgoing HTTP (OpenTelemetry http and undici instrumentations, through a View) ----
  {
    ...http(
      'http_client_request_duration_seconds',
      'histogram',
      'Duration of outgoing HTTP requests (http, https and fetch) by method, host and status.',
      ['method', 'host', 'status'],
      'OpenTelemetry http.client.request.duration',
      'latency',
    ),
    area: 'http-client',
  },

  // ---- Database (django_prometheus.db) ----
  db(
    'django_db_new_connections_total',
    'counter',
    'Counter of created connections by database and by vendor.',
    DB,
    'pg Client.connect attempts (pool-created included), mysql2 connections, SQLite databases opened',
  ),
  db(
    'django_db_new_connection_errors_total',
    'counter',
    'Counter of connection failures by database and by vendor.',
    DB,
    'failed connection attempts (pg, mysql2, SQLite)',
  ),
  db(
    'django_db_execute_total',
    'counter',
    'Counter of executed statements by database and by vendor, including bulk executions.',
    DB,
    'statements sent through pg, mysql2, better-sqlite3, node:sqlite and sqlite3',
  ),
  {
    ...db(
      'django_db_execute_many_total',
      'counter',
      'Counter of executed statements in bulk operations by database and by vendor.',
      DB,
      'not applicable: no Node client has executemany',
    ),
    documentedOnly: true,
  },
  db(
    'django_db_errors_total',
    'counter',
    'Counter of execution errors by database, vendor and exception type.',
    [...DB, 'type'],
    "failed statements, type = the class Django's backend raises (psycopg2's specific class by SQLSTATE, mysqlclient's, sqlite3's)",
  ),
  db(
    'django_db_query_duration_seconds',
    'histogram',
    'Histogram of query duration by database and vendor.',
    DB,
    'OpenTelemetry db.client.operation.duration (pg); timed by autoprom for mysql2 and SQLite',
    'latency',
  ),
  db(
    'django_db_pool_connections',
    'gauge',
    'Connections in a pg-pool by database, vendor and state (idle or used).',
    [...DB, 'state'],
    'each pg-pool read at collection (used = total - idle), summed per database',
  ),
  db(
    'django_db_pool_pending_requests',
    'gauge',
    'Requests waiting for a pg-pool connection by database and vendor.',
    DB,
    'each pg-pool waitingCount read at collection, summed per database',
  ),
  db(
    'django_db_pool_max_connections',
    'gauge',
    'Maximum connections of a pg-pool by database and vendor.',
    DB,
    'each pg-pool options.max, summed per database',
  ),

  // ---- ORM models (django_prometheus.models) ----
  model(
    'django_model_inserts_total',
    'Number of insert operations by model.',
    'successful INSERT INTO <table> sent through pg, mysql2 or SQLite by any ORM, or recordModelOperation()',
  ),
  model(
    'django_model_updates_total',
    'Number of update operations by model.',
    'successful UPDATE <table> sent through pg, mysql2 or SQLite by any ORM, or recordModelOperation()',
  ),
  model(
    'django_model_deletes_total',
    'Number of delete operations by model.',
    'successful DELETE FROM <table> sent through pg, mysql2 or SQLite by any ORM, or recordModelOperation()',
  ),

  // ---- Migrations (django_prometheus.migrations, opt-in: PROMETHEUS_EXPORT_MIGRATIONS=true) ----
  migrations(
    'django_migrations_unapplied_total',
    'Count of unapplied migrations by database connection',
    "the project's migration files its ORM's table does not list (Knex, Sequelize, Prisma, Drizzle, MikroORM layouts)",
  ),
  migrations(
    'django_migrations_applied_total',
    'Count of applied migrations by database connection',
    'rows of the migration tables of Knex, Sequelize, TypeORM, Prisma, Drizzle and MikroORM',
  ),

  // ---- Cache (django_prometheus.cache) ----
  cache(
    'django_cache_get_total',
    'Total get requests on cache',
    'each key read (GET, GETEX, GETDEL, HGET, each key of MGET/HMGET; a memcached get; each key of a batch read)',
  ),
  cache('django_cache_get_hits_total', 'Total hits on cache', 'reads whose reply was not nil'),
  cache('django_cache_get_misses_total', 'Total misses on cache', 'reads whose reply was nil'),
  cache('django_cache_get_fail_total', 'Total get request failures by cache', 'reads that failed (connection, timeout, error reply)'),

  // ---- Process (names every Prometheus client uses) ----
  proc('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', 'process.cpuUsage() since process start'),
  proc('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', 'process.cpuUsage() since process start'),
  proc(
    'process_cpu_seconds_total',
    'counter',
    'Total user and system CPU time spent in seconds.',
    'process.cpuUsage() since process start',
  ),
  proc('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', 'process start'),
  proc(
    'process_resident_memory_bytes',
    'gauge',
    'Resident memory size in bytes.',
    '/proc/self/status VmRSS (Linux), process.memoryUsage() elsewhere',
  ),
  proc('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.', '/proc/self/status VmSize (Linux)'),
  proc('process_heap_bytes', 'gauge', 'Process heap size in bytes.', '/proc/self/status VmData (Linux)'),
  proc('process_open_fds', 'gauge', 'Number of open file descriptors.', '/proc/self/fd (Linux)'),
  proc('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', '/proc/self/limits (Linux)'),

  // ---- Node.js runtime (prom-client collectDefaultMetrics names) ----
  rt('nodejs_eventloop_lag_seconds', 'gauge', 'Lag of event loop in seconds.', [], 'setImmediate delay measured at scrape'),
  rt('nodejs_eventloop_lag_min_seconds', 'gauge', 'The minimum recorded event loop delay.', [], 'OpenTelemetry nodejs.eventloop.delay.min'),
  rt('nodejs_eventloop_lag_max_seconds', 'gauge', 'The maximum recorded event loop delay.', [], 'OpenTelemetry nodejs.eventloop.delay.max'),
  rt(
    'nodejs_eventloop_lag_mean_seconds',
    'gauge',
    'The mean of the recorded event loop delays.',
    [],
    'OpenTelemetry nodejs.eventloop.delay.mean',
  ),
  rt(
    'nodejs_eventloop_lag_stddev_seconds',
    'gauge',
    'The standard deviation of the recorded event loop delays.',
    [],
    'OpenTelemetry nodejs.eventloop.delay.stddev',
  ),
  rt(
    'nodejs_eventloop_lag_p50_seconds',
    'gauge',
    'The 50th percentile of the recorded event loop delays.',
    [],
    'OpenTelemetry nodejs.eventloop.delay.p50',
  ),
  rt(
    'nodejs_eventloop_lag_p90_seconds',
    'gauge',
    'The 90th percentile of the recorded event loop delays.',
    [],
    'OpenTelemetry nodejs.eventloop.delay.p90',
  ),
  rt(
    'nodejs_eventloop_lag_p99_seconds',
    'gauge',
    'The 99th percentile of the recorded event loop delays.',
    [],
    'OpenTelemetry nodejs.eventloop.delay.p99',
  ),
  rt(
    'nodejs_active_resources',
    'gauge',
    'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    ['type'],
    'process.getActiveResourcesInfo()',
  ),
  rt('nodejs_active_resources_total', 'gauge', 'Total number of active resources.', [], 'process.getActiveResourcesInfo()'),
  rt(
    'nodejs_active_handles',
    'gauge',
    'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
    ['type'],
    'process._getActiveHandles(), by constructor name',
  ),
  rt('nodejs_active_handles_total', 'gauge', 'Total number of active handles.', [], 'process._getActiveHandles()'),
  rt(
    'nodejs_active_requests',
    'gauge',
    'Number of active libuv requests grouped by request type. Every request type is C++ class name.',
    ['type'],
    'process._getActiveRequests(), by constructor name',
  ),
  rt('nodejs_active_requests_total', 'gauge', 'Total number of active requests.', [], 'process._getActiveRequests()'),
  rt('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', [], 'process.memoryUsage()'),
  rt('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', [], 'process.memoryUsage()'),
  rt('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', [], 'process.memoryUsage()'),
  rt(
    'nodejs_heap_space_size_total_bytes',
    'gauge',
    'Process heap space size total from Node.js in bytes.',
    ['space'],
    'OpenTelemetry v8js.memory.heap.space.size',
  ),
  rt(
    'nodejs_heap_space_size_used_bytes',
    'gauge',
    'Process heap space size used from Node.js in bytes.',
    ['space'],
    'OpenTelemetry v8js.memory.heap.used',
  ),
  rt(
    'nodejs_heap_space_size_available_bytes',
    'gauge',
    'Process heap space size available from Node.js in bytes.',
    ['space'],
    'OpenTelemetry v8js.memory.heap.space.available_size',
  ),
  rt('nodejs_version_info', 'gauge', 'Node.js version info.', ['version', 'major', 'minor', 'patch'], 'process.version'),
  rt(
    'nodejs_gc_duration_seconds',
    'histogram',
    'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    ['kind'],
    'OpenTelemetry v8js.gc.duration',
    GC_BUCKETS,
  ),
] as const satisfies readonly FamilySpec[];

type CatalogueRow = (typeof CATALOGUE)[number];
/** Every family name in the catalogue: a name that is not a row does not compile. */
export type FamilyName = CatalogueRow['name'];
/** The names of the families of one type. */
export type FamilyNameOf<T extends FamilyType> = Extract<CatalogueRow, { type: T }>['name'];
export type CounterName = FamilyNameOf<'counter'>;
export type HistogramName = FamilyNameOf<'histogram'>;
export type GaugeName = FamilyNameOf<'gauge'>;

const BY_NAME: ReadonlyMap<string, FamilySpec> = new Map(CATALOGUE.map((f) => [f.name, f]));

/** The catalogue row of a family. */
export function family(name: FamilyName): FamilySpec {
  // Every FamilyName is a row; the check only guards callers that cast.
  const spec = BY_NAME.get(name);
  if (spec === undefined) throw new Error(`autoprom: no catalogue row for ${name}`);
  return spec;
}

/** Buckets 0, 1, 2, 4 … 2^29, as django-prometheus's PowersOf(2, 30). */
export const POW2_BUCKETS: readonly number[] = [0, ...Array.from({ length: 30 }, (_, i) => 2 ** i)];
