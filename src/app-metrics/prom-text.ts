/**
 * The application's prom-client families as text, written exactly as prom-client writes them
 * (its `register.metrics()`), in the Prometheus text format or in OpenMetrics. Pure and light:
 * the metrics worker loads it.
 */

/** One family as prom-client's `getMetricsAsJSON()` gives it. */
export interface PromFamily {
  name: string;
  help: string;
  type: string;
  values?: Array<{ value: number; labels?: Record<string, string | number>; metricName?: string }>;
}

function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/**
 * Families byte for byte as prom-client writes them: HELP, TYPE, one line per value. In
 * OpenMetrics (prom-client's rule) a counter's family drops a `_total` suffix and each of its
 * samples gains one.
 */
export function renderPromFamilies(families: readonly PromFamily[], openMetrics = false): string {
  let out = '';
  for (const family of families) {
    const counter = openMetrics && family.type === 'counter';
    const name = escapeString(counter ? family.name.replace(/_total$/, '') : family.name);
    out += `# HELP ${name} ${escapeString(String(family.help ?? ''))}\n# TYPE ${name} ${family.type}\n`;
    for (const v of family.values ?? []) {
      let labels = '';
      for (const [k, value] of Object.entries(v.labels ?? {})) {
        const text = typeof value === 'string' ? escapeString(value).replace(/"/g, '\\"') : String(value);
        labels += `${labels === '' ? '' : ','}${k}="${text}"`;
      }
      const sample = counter ? `${v.metricName ?? name}_total` : (v.metricName ?? name);
      out += `${sample}${labels === '' ? '' : `{${labels}}`} ${valueText(v.value)}\n`;
    }
  }
  return out;
}
