/**
 * The one shape of a web framework instrumentation. A framework file (express.ts,
 * fastify.ts, koa.ts …) does exactly two things, through a `RouteReporter`:
 * - it says which route template matched a request (`route`, or `routeLater` when the
 *   framework knows it only after the handler ran);
 * - it reports an error that the framework turned into a response (`exception`).
 * Everything else (timing, status, bodies, the django families, their series caches and
 * bounds) is the HTTP server area's, fed by Node's http diagnostics channels whatever
 * framework sits on top. Adding a framework: one file here that extends
 * `FrameworkInstrumentation`, one line in `FRAMEWORKS` (index.ts), its name in config.ts.
 */
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import { couldNotInstrument } from '../core/log';
import { moduleExportsOf, type AnyFunction } from '../core/patch';
import { VERSION } from '../core/version';

/** What a framework instrumentation reports about a request, keyed by its node ServerResponse. */
export interface RouteReporter {
  /**
   * The route template that matched (mount paths and prefixes included), never the raw path;
   * undefined takes back a template reported earlier (a catch-all that only answers 404).
   */
  route(response: object, template: string | undefined): void;
  /** A route template found only when the response finishes (koa's router writes it late). */
  routeLater(response: object, resolve: () => string | undefined): void;
  /** The route template already reported for this response, if any. */
  routeOf(response: object): string | undefined;
  /**
   * An error the framework handled for this response: counted once per request, with its class
   * name and view, and only if the response is a 5xx (a deliberate 4xx is an outcome).
   */
  exception(response: object, err: unknown, template?: string): void;
  /** A template the framework rendered for this response (express `res.render`). */
  template(response: object, name: unknown): void;
}

/**
 * Base of every framework instrumentation: OpenTelemetry's module hooks (CommonJS and ES
 * modules alike) with the reporter at hand, and a failure to patch said once, never thrown.
 */
export abstract class FrameworkInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(
    name: string,
    protected readonly reporter: RouteReporter,
    config: InstrumentationConfig = {},
  ) {
    super(`autoprom-${name}`, VERSION, config);
  }

  /**
   * A module hook for `moduleName` at `versions`: `patch` gets the module's exports (the
   * CommonJS object or an ES module's default) and returns nothing; the module is returned as is.
   */
  // A framework's exports are untyped here: each patch checks every property it reads before use.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  protected moduleHook(moduleName: string, versions: string[], patch: (exports: any) => void): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(moduleName, versions, (moduleExports: unknown) => {
      try {
        patch(moduleExportsOf(moduleExports));
      } catch (err) {
        couldNotInstrument(moduleName, 'its routes stay <unnamed view>', err);
      }
      return moduleExports;
    });
  }

  /**
   * A module hook for a package whose exports are one function (`koa-mount`): `replace` gets
   * it and returns what importers get instead (a CommonJS module's exports, an ES module
   * namespace's `default`). `replace` must return an autoprom wrapper as it is.
   */
  protected moduleReplaceHook(
    moduleName: string,
    versions: string[],
    replace: (fn: AnyFunction) => AnyFunction,
  ): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(moduleName, versions, (moduleExports: unknown) => {
      try {
        if (typeof moduleExports === 'function') return replace(moduleExports as AnyFunction);
        const namespace = moduleExports as { default?: unknown } | null | undefined;
        if (typeof namespace?.default === 'function') namespace.default = replace(namespace.default as AnyFunction);
      } catch (err) {
        couldNotInstrument(moduleName, 'its routes stay <unnamed view>', err);
      }
      return moduleExports;
    });
  }

  /**
   * A hook for one file inside a package (`hono/dist/cjs/router/smart-router/router.js`), added
   * to a `moduleHook`'s files. `patch` gets the file's exports and returns what the importer
   * gets (the same object, or a replacement when the exports cannot be redefined).
   */
  protected fileHook(fileName: string, versions: string[], patch: (exports: unknown) => unknown): InstrumentationNodeModuleFile {
    return new InstrumentationNodeModuleFile(
      fileName,
      versions,
      (moduleExports: unknown) => {
        try {
          return patch(moduleExports);
        } catch (err) {
          couldNotInstrument(fileName, 'its routes stay <unnamed view>', err);
          return moduleExports;
        }
      },
      () => undefined,
    );
  }
}
