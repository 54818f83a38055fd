/**
 * Content negotiation for the metrics endpoint, as Prometheus clients do it: OpenMetrics
 * 1.0.0 when the `Accept` header prefers it, text 0.0.4 otherwise (also when nothing
 * matches: a scraper always gets an answer), gzip when `Accept-Encoding` allows it. Pure.
 */

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

interface Preference {
  /** Lower-cased `type/subtype`, or a coding name for Accept-Encoding. */
  readonly value: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
  /** Position in the header: the tie-breaker between equal q-values. */
  readonly index: number;
}

/** `q` as HTTP defines it: 0 to 1, at most three decimals; anything else is not acceptable. */
function qValue(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text)) return 0;
  return Number(text);
}

/** An Accept-style header as preferences, best first (q descending, then header order). */
export function parsePreferences(header: string | undefined): Preference[] {
  if (header === undefined) return [];
  const out: Preference[] = [];
  header.split(',').forEach((item, index) => {
    const [head, ...rest] = item.split(';');
    const value = head.trim().toLowerCase();
    if (value === '') return;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq === -1) continue;
      params.set(
        p.slice(0, eq).trim().toLowerCase(),
        p
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
    }
    out.push({ value, params, q: qValue(params.get('q')), index });
  });
  return out.sort((a, b) => b.q - a.q || a.index - b.index);
}

/** The format a media range asks for, or undefined when it is not one we serve. */
function formatOf(range: Preference): ExpositionFormat | undefined {
  const version = range.params.get('version');
  switch (range.value) {
    case 'application/openmetrics-text':
      return version === undefined || version === '1.0.0' ? 'openmetrics' : undefined;
    case 'text/plain':
      return version === undefined || version === '0.0.4' ? 'text' : undefined;
    case 'text/*':
    case '*/*':
      return 'text';
    default:
      return undefined;
  }
}

/** The format to answer with for an `Accept` header. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  for (const range of parsePreferences(accept)) {
    if (range.q <= 0) continue;
    const format = formatOf(range);
    if (format !== undefined) return format;
  }
  return 'text';
}

/** Whether an `Accept-Encoding` header allows gzip (named, or through `*`, with q > 0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  const codings = parsePreferences(acceptEncoding);
  const gzip = codings.find((c) => c.value === 'gzip' || c.value === 'x-gzip');
  if (gzip !== undefined) return gzip.q > 0;
  const any = codings.find((c) => c.value === '*');
  return any !== undefined && any.q > 0;
}
