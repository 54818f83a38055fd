/**
 * One collection, rendered on demand in each format and encoding that scrapes ask for, each
 * at most once (a flood of scrapes sharing a collection costs one serialization and one
 * gzip), plus the `autoprom_eventloop_blocked_seconds` gauge that every exposition carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_TYPES, type ExpositionFormat } from './negotiate';
import { renderPromFamilies } from '../app-metrics/prom-text';
import { serializePrometheus, type MetricsInput } from './serialize';

export const BLOCKED_GAUGE = 'autoprom_eventloop_blocked_seconds';
export const BLOCKED_GAUGE_HELP =
  "Seconds the application thread has left the metrics endpoint's collection request unanswered: 0 while it answers; above 0, the values are those of the last collection.";

/** django families (`django_*`, or `<namespace>_django_*`) get django-prometheus's bucket bounds. */
export function isDjangoFamily(name: string, namespace: string): boolean {
  return name.startsWith('django_') || (namespace !== '' && name.startsWith(`${namespace}_django_`));
}

/** The gauge family, as text that both formats accept. */
export function blockedGaugeText(seconds: number): string {
  return `# HELP ${BLOCKED_GAUGE} ${BLOCKED_GAUGE_HELP}\n# TYPE ${BLOCKED_GAUGE} gauge\n${BLOCKED_GAUGE} ${seconds}\n`;
}

/** Fastest gzip level: a 1.6 MB exposition in about 2.5 ms (level 6: 10 ms) for a body 1.4 times larger. */
const GZIP = { level: 1 };

export interface RenderedBody {
  readonly contentType: string;
  /** 'gzip', or undefined for the identity encoding. */
  readonly contentEncoding: 'gzip' | undefined;
  readonly body: Buffer;
}

export class RenderedCollection {
  private readonly cache = new Map<string, RenderedBody>();
  private readonly pythonBuckets: (name: string) => boolean;

  /**
   * snapshot undefined: nothing was collected yet (only the gauge is exposed). `extra`: the
   * least the gauge says (a sum of processes, one of which had not answered), and families
   * written after the application's.
   */
  constructor(
    private readonly snapshot: MetricsInput | undefined,
    namespace: string,
    private readonly extra?: { readonly blocked: number; readonly trailer?: (openMetrics: boolean) => string },
  ) {
    this.pythonBuckets = (name) => isDjangoFamily(name, namespace);
  }

  /** The body for a format and encoding, with the gauge at `blockedSeconds` (cached when 0). */
  render(format: ExpositionFormat, gzip: boolean, blockedArgument: number): RenderedBody {
    const blockedSeconds = Math.max(blockedArgument, this.extra?.blocked ?? 0);
    const key = `${format}:${gzip}`;
    if (blockedArgument === 0) {
      const known = this.cache.get(key);
      if (known !== undefined) return known;
    }
    let identity: Buffer | undefined = blockedArgument === 0 ? this.cache.get(`${format}:false`)?.body : undefined;
    if (identity === undefined) {
      const text = serializePrometheus(this.snapshot ?? { scopeMetrics: [] }, {
        format,
        pythonBuckets: this.pythonBuckets,
        trailer:
          renderPromFamilies(this.snapshot?.appFamilies ?? [], format === 'openmetrics') +
          (this.extra?.trailer?.(format === 'openmetrics') ?? '') +
          blockedGaugeText(blockedSeconds),
      });
      identity = Buffer.from(text, 'utf8');
    }
    const out: RenderedBody = {
      contentType: CONTENT_TYPES[format],
      contentEncoding: gzip ? 'gzip' : undefined,
      body: gzip ? (require('node:zlib') as typeof import('node:zlib')).gzipSync(identity, GZIP) : identity,
    };
    if (blockedArgument === 0) {
      this.cache.set(key, out);
      if (gzip && !this.cache.has(`${format}:false`))
        this.cache.set(`${format}:false`, { contentType: out.contentType, contentEncoding: undefined, body: identity });
    }
    return out;
  }
}

/** A scrape's answer: the rendered body with its headers (no body for HEAD). */
export function respond(req: IncomingMessage, res: ServerResponse, rendered: RenderedBody): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', rendered.contentType);
  if (rendered.contentEncoding !== undefined) res.setHeader('Content-Encoding', rendered.contentEncoding);
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  res.setHeader('Content-Length', rendered.body.length);
  res.end(req.method === 'HEAD' ? undefined : rendered.body);
}
