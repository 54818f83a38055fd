/**
 * The application's own prom-client (and @prometheus-io/client) metrics on autoprom's
 * endpoint, as django-prometheus shows the app's prometheus_client metrics: zero code. A
 * module hook keeps the default registry of every copy the application loads; at each scrape
 * their families are read as numbers (`getMetricsAsJSON`) and written after autoprom's own,
 * exactly as prom-client writes them. A family autoprom already exposes (the process_* and
 * nodejs_* of `collectDefaultMetrics()`, same process, same meaning) is written once: autoprom's.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { internalError } from '../core/log';
import { moduleExportsOf } from '../core/patch';
import { VERSION } from '../core/version';
import type { PromFamily } from './prom-text';

export type { PromFamily } from './prom-text';

interface RegistryLike {
  getMetricsAsJSON(): Promise<PromFamily[]>;
}

/** The client packages whose default registry is read, and the majors their registry API is known for. */
const CLIENTS: ReadonlyArray<readonly [string, string[]]> = [
  ['prom-client', ['>=11.0.0 <16']],
  ['@prometheus-io/client', ['>=0.1.0 <1']],
];

function isRegistry(value: unknown): value is RegistryLike {
  return typeof (value as { getMetricsAsJSON?: unknown } | null)?.getMetricsAsJSON === 'function';
}

/** Keeps the default registry of each copy of prom-client or @prometheus-io/client the application loads. */
export class AppRegistriesInstrumentation extends InstrumentationBase {
  private registries: Set<RegistryLike> | undefined;

  constructor() {
    super('autoprom-app-registries', VERSION, {});
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    return CLIENTS.map(
      ([name, versions]) =>
        new InstrumentationNodeModuleDefinition(name, versions, (moduleExports: unknown) => {
          const register = moduleExportsOf<{ register?: unknown }>(moduleExports)?.register;
          if (isRegistry(register)) (this.registries ??= new Set()).add(register);
          return moduleExports;
        }),
    );
  }

  /** The families of every registry, each name once: the first registry's, and none that autoprom exposes itself. */
  async collect(exposed: ReadonlySet<string>): Promise<PromFamily[]> {
    const out: PromFamily[] = [];
    if (this.registries === undefined) return out;
    const seen = new Set(exposed);
    for (const registry of this.registries) {
      let families: PromFamily[];
      try {
        families = await registry.getMetricsAsJSON();
      } catch (err) {
        // The application's own collect() callbacks threw: its metrics are missing from this scrape.
        internalError("reading the application's prom-client registry", err, 'its metrics are missing from this scrape');
        continue;
      }
      for (const family of families) {
        if (typeof family?.name !== 'string' || seen.has(family.name)) continue;
        seen.add(family.name);
        out.push(family);
      }
    }
    return out;
  }
}
