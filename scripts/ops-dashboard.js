// Writes ops/grafana/autoprom-dashboard.json, the Grafana dashboard for services under autoprom.
// The panels are data here so that the file stays consistent (ids, grid, one selector), and the
// live test (test/ops-live.e2e.test.ts) evaluates every query of the written file against a real
// Prometheus. `node scripts/ops-dashboard.js` rewrites the file; `--check` exits 1 when stale.
const fs = require('node:fs');
const path = require('node:path');

const OUT = path.join(__dirname, '..', 'ops', 'grafana', 'autoprom-dashboard.json');
const S = 'job=~"$job", instance=~"$instance"';
const R = '$__rate_interval';
const DS = { type: 'prometheus', uid: '${datasource}' };

const rate = (metric, extra = '') => `rate(${metric}{${S}${extra}}[${R}])`;
const q = (expr, legendFormat = '__auto') => ({ expr, legendFormat });

/** Rows of panels: [row title, [panel, …]]; a panel is { title, type, unit, width, targets, description }. */
const ROWS = [
  [
    'Overview',
    [
      {
        title: 'Requests/s',
        type: 'stat',
        unit: 'reqps',
        width: 6,
        targets: [q(`sum(${rate('django_http_requests_before_middlewares_total')})`, 'requests/s')],
      },
      {
        title: '5xx responses',
        type: 'stat',
        unit: 'percentunit',
        width: 6,
        description: 'Share of responses with a 5xx status.',
        targets: [
          q(
            `(sum(${rate('django_http_responses_total_by_status_total', ', status=~"5.."')}) or vector(0)) / sum(${rate('django_http_responses_total_by_status_total')})`,
            '5xx',
          ),
        ],
      },
      {
        title: 'Latency p99',
        type: 'stat',
        unit: 's',
        width: 6,
        description: 'Request received to response finished, every view.',
        targets: [
          q(`histogram_quantile(0.99, sum by (le) (${rate('django_http_requests_latency_including_middlewares_seconds_bucket')}))`, 'p99'),
        ],
      },
      { title: 'Targets up', type: 'stat', unit: 'short', width: 6, targets: [q(`sum(up{${S}})`, 'up'), q(`count(up{${S}})`, 'targets')] },
    ],
  ],
  [
    'HTTP by view',
    [
      {
        title: 'Requests/s by view',
        unit: 'reqps',
        targets: [q(`sum by (view, method) (${rate('django_http_requests_total_by_view_transport_method_total')})`, '{{method}} {{view}}')],
      },
      {
        title: 'Responses/s by status',
        unit: 'reqps',
        targets: [q(`sum by (status) (${rate('django_http_responses_total_by_status_total')})`, '{{status}}')],
      },
      {
        title: '5xx ratio by view',
        unit: 'percentunit',
        description: '0 for a view that answered without 5xx.',
        targets: [
          q(
            `(sum by (view) (${rate('django_http_responses_total_by_status_view_method_total', ', status=~"5.."')}) or sum by (view) (${rate('django_http_responses_total_by_status_view_method_total')}) * 0) / sum by (view) (${rate('django_http_responses_total_by_status_view_method_total')})`,
            '{{view}}',
          ),
        ],
      },
      {
        title: 'Latency by view (p50, p99)',
        unit: 's',
        targets: [
          q(
            `histogram_quantile(0.5, sum by (view, le) (${rate('django_http_requests_latency_seconds_by_view_method_bucket')}))`,
            'p50 {{view}}',
          ),
          q(
            `histogram_quantile(0.99, sum by (view, le) (${rate('django_http_requests_latency_seconds_by_view_method_bucket')}))`,
            'p99 {{view}}',
          ),
        ],
      },
      {
        title: 'Exceptions/s by type',
        unit: 'short',
        targets: [q(`sum by (type) (${rate('django_http_exceptions_total_by_type_total')})`, '{{type}}')],
      },
      {
        title: 'Exceptions/s by view',
        unit: 'short',
        targets: [q(`sum by (view) (${rate('django_http_exceptions_total_by_view_total')})`, '{{view}}')],
      },
      {
        title: 'Body size (mean)',
        unit: 'bytes',
        targets: [
          q(
            `sum(${rate('django_http_requests_body_total_bytes_sum')}) / sum(${rate('django_http_requests_body_total_bytes_count')})`,
            'request',
          ),
          q(
            `sum(${rate('django_http_responses_body_total_bytes_sum')}) / sum(${rate('django_http_responses_body_total_bytes_count')})`,
            'response',
          ),
        ],
      },
      {
        title: 'Unfinished and streaming responses/s',
        unit: 'reqps',
        description: 'Unfinished: the client closed the connection before the response finished.',
        targets: [
          q(`sum(${rate('django_http_requests_unknown_latency_total')})`, 'unfinished'),
          q(`sum(${rate('django_http_responses_streaming_total')})`, 'streaming'),
        ],
      },
      {
        title: 'Outgoing HTTP by host (p99)',
        unit: 's',
        description: "The service's own outgoing requests (http, https, fetch).",
        targets: [q(`histogram_quantile(0.99, sum by (host, le) (${rate('http_client_request_duration_seconds_bucket')}))`, '{{host}}')],
      },
      {
        title: 'Outgoing HTTP/s by host and status',
        unit: 'reqps',
        targets: [q(`sum by (host, status) (${rate('http_client_request_duration_seconds_count')})`, '{{host}} {{status}}')],
      },
    ],
  ],
  [
    'Database',
    [
      {
        title: 'Statements/s by database',
        unit: 'short',
        targets: [q(`sum by (alias, vendor) (${rate('django_db_execute_total')})`, '{{alias}} ({{vendor}})')],
      },
      {
        title: 'Query duration by database (p50, p99)',
        unit: 's',
        targets: [
          q(`histogram_quantile(0.5, sum by (alias, le) (${rate('django_db_query_duration_seconds_bucket')}))`, 'p50 {{alias}}'),
          q(`histogram_quantile(0.99, sum by (alias, le) (${rate('django_db_query_duration_seconds_bucket')}))`, 'p99 {{alias}}'),
        ],
      },
      {
        title: 'Errors/s by type',
        unit: 'short',
        description: 'type is the psycopg2 class Django shows (UniqueViolation, UndefinedTable, OperationalError…).',
        targets: [q(`sum by (alias, type) (${rate('django_db_errors_total')})`, '{{alias}} {{type}}')],
      },
      {
        title: 'New connections/s',
        unit: 'short',
        targets: [
          q(`sum by (alias) (${rate('django_db_new_connections_total')})`, 'opened {{alias}}'),
          q(`sum by (alias) (${rate('django_db_new_connection_errors_total')})`, 'failed {{alias}}'),
        ],
      },
      {
        title: 'Pool connections',
        unit: 'short',
        targets: [
          q(`sum by (alias, state) (django_db_pool_connections{${S}})`, '{{state}} {{alias}}'),
          q(`sum by (alias) (django_db_pool_pending_requests{${S}})`, 'waiting {{alias}}'),
          q(`sum by (alias) (django_db_pool_max_connections{${S}})`, 'max {{alias}}'),
        ],
      },
      {
        title: 'Migrations',
        unit: 'short',
        description: 'With PROMETHEUS_EXPORT_MIGRATIONS=true.',
        targets: [
          q(`sum by (connection) (django_migrations_applied_total{${S}})`, 'applied {{connection}}'),
          q(`sum by (connection) (django_migrations_unapplied_total{${S}})`, 'unapplied {{connection}}'),
        ],
      },
    ],
  ],
  [
    'Models',
    [
      {
        title: 'Model operations/s',
        unit: 'short',
        width: 24,
        targets: [
          q(`sum by (model) (${rate('django_model_inserts_total')})`, 'insert {{model}}'),
          q(`sum by (model) (${rate('django_model_updates_total')})`, 'update {{model}}'),
          q(`sum by (model) (${rate('django_model_deletes_total')})`, 'delete {{model}}'),
        ],
      },
    ],
  ],
  [
    'Cache',
    [
      {
        title: 'Hit ratio by backend',
        unit: 'percentunit',
        targets: [
          q(
            `sum by (backend) (${rate('django_cache_get_hits_total')}) / sum by (backend) (${rate('django_cache_get_total')})`,
            '{{backend}}',
          ),
        ],
      },
      {
        title: 'Reads/s by outcome',
        unit: 'short',
        targets: [
          q(`sum by (backend) (${rate('django_cache_get_hits_total')})`, 'hit {{backend}}'),
          q(`sum by (backend) (${rate('django_cache_get_misses_total')})`, 'miss {{backend}}'),
          q(`sum by (backend) (${rate('django_cache_get_fail_total')})`, 'fail {{backend}}'),
        ],
      },
    ],
  ],
  [
    'Runtime',
    [
      {
        title: 'CPU',
        unit: 'percentunit',
        description: 'CPU seconds per second: 1 = one core.',
        targets: [q(`sum by (instance) (${rate('process_cpu_seconds_total')})`, '{{instance}}')],
      },
      {
        title: 'Memory',
        unit: 'bytes',
        targets: [
          q(`process_resident_memory_bytes{${S}}`, 'rss {{instance}}'),
          q(`nodejs_heap_size_used_bytes{${S}}`, 'heap used {{instance}}'),
          q(`nodejs_heap_size_total_bytes{${S}}`, 'heap total {{instance}}'),
          q(`nodejs_external_memory_bytes{${S}}`, 'external {{instance}}'),
        ],
      },
      {
        title: 'Event loop',
        unit: 's',
        description: 'Blocked: seconds since the event loop last answered (0 while it answers).',
        targets: [
          q(`nodejs_eventloop_lag_p99_seconds{${S}}`, 'lag p99 {{instance}}'),
          q(`nodejs_eventloop_lag_p50_seconds{${S}}`, 'lag p50 {{instance}}'),
          q(`autoprom_eventloop_blocked_seconds{${S}}`, 'blocked {{instance}}'),
        ],
      },
      {
        title: 'GC time/s by kind',
        unit: 'percentunit',
        targets: [q(`sum by (kind) (${rate('nodejs_gc_duration_seconds_sum')})`, '{{kind}}')],
      },
      {
        title: 'Active handles and resources',
        unit: 'short',
        targets: [
          q(`nodejs_active_handles_total{${S}}`, 'handles {{instance}}'),
          q(`nodejs_active_resources_total{${S}}`, 'resources {{instance}}'),
        ],
      },
      {
        title: 'Open file descriptors',
        unit: 'short',
        targets: [q(`process_open_fds{${S}}`, 'open {{instance}}'), q(`process_max_fds{${S}}`, 'max {{instance}}')],
      },
      { title: 'Heap spaces used', unit: 'bytes', targets: [q(`sum by (space) (nodejs_heap_space_size_used_bytes{${S}})`, '{{space}}')] },
      { title: 'Node.js version', type: 'table', unit: 'short', instant: true, targets: [q(`nodejs_version_info{${S}}`, '{{version}}')] },
    ],
  ],
];

function variable(name, label, query) {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    definition: query,
    query: { query, refId: `${name}-variable` },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  };
}

function panel(spec, id, gridPos) {
  const type = spec.type ?? 'timeseries';
  const out = {
    id,
    type,
    title: spec.title,
    datasource: DS,
    gridPos,
    fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
    targets: spec.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: t.expr,
      legendFormat: t.legendFormat,
      range: !spec.instant,
      instant: Boolean(spec.instant),
      format: type === 'table' ? 'table' : 'time_series',
    })),
  };
  if (spec.description !== undefined) out.description = spec.description;
  if (type === 'timeseries')
    out.options = { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
  if (type === 'stat')
    out.options = {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
      textMode: 'auto',
    };
  if (type === 'table') out.transformations = [{ id: 'labelsToFields', options: {} }];
  return out;
}

function renderDashboard() {
  const panels = [];
  let id = 1;
  let y = 0;
  for (const [title, specs] of ROWS) {
    panels.push({ id: id++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    let x = 0;
    let rowHeight = 0;
    for (const spec of specs) {
      const w = spec.width ?? 12;
      const h = spec.type === 'stat' ? 4 : 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(spec, id++, { h, w, x, y }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  const dashboard = {
    title: 'autoprom: Node.js service',
    uid: 'autoprom-service',
    description:
      'HTTP by view, database, models, cache and runtime of Node.js services running under autoprom (django-prometheus metric names).',
    tags: ['autoprom', 'nodejs', 'django-prometheus'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: '',
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '' },
        variable('job', 'Job', 'label_values(nodejs_version_info, job)'),
        variable('instance', 'Instance', 'label_values(nodejs_version_info{job=~"$job"}, instance)'),
      ],
    },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

module.exports = { renderDashboard, OUT };

if (require.main === module) {
  const want = renderDashboard();
  if (process.argv.includes('--check')) {
    const have = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (have !== want) {
      process.stderr.write(`${path.relative(process.cwd(), OUT)} is stale: run node scripts/ops-dashboard.js\n`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(OUT, want);
  }
}
