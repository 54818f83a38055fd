/**
 * The ES module hook, installed by the preload however it was loaded (`--require` or
 * `--import`), so that ES module imports of pg, ioredis, the frameworks … are instrumented
 * as their `require()`s are. It wraps only the modules the enabled instrumentations name
 * (the application's own modules are left as they are), and it is installed once.
 *
 * Where Node's synchronous in-thread hooks work (`module.registerHooks`: Node >= 22.22.3,
 * >= 24.11.1) they are used: no loader thread, no messages between threads. Elsewhere
 * (Node 22.15 …) the asynchronous hook of `module.register`, given the same module list.
 */
import { register as registerAsyncHook } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { packageFile } from './core/package-root';

export type ModuleHookKind = 'sync' | 'async';

let installed: ModuleHookKind | undefined;

/** Files an instrumentation hooks by absolute path (a package's internal ES module), as file URLs. */
const extraEntries = new Set<string>();

/**
 * Also wrap this file (an absolute path) when it is imported as an ES module: a package's
 * internal file, imported by a relative specifier, is matched by its URL only. Call it while
 * the instrumentations are created, before the hook is installed.
 */
export function hookFileToo(absolutePath: string): void {
  extraEntries.add(pathToFileURL(absolutePath).href);
}

/**
 * Whether this Node's `module.registerHooks` runs import-in-the-middle's synchronous loader
 * (it needs nodejs/node#59929: 22.22.3, 24.11.1, 25.1.0, 26.0.0 and later).
 */
export function syncModuleHooksWork(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (m === null) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major >= 26) return true;
  if (major === 25) return minor >= 1;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 1);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 3);
  return false;
}

/** The modules the instrumentations patch (their module definitions' names), once each. */
export function instrumentedModules(instrumentations: readonly Instrumentation[]): string[] {
  const names = new Set<string>();
  for (const i of instrumentations) {
    const definitions = (i as { getModuleDefinitions?: () => Array<{ name?: unknown }> }).getModuleDefinitions?.() ?? [];
    for (const d of definitions) if (typeof d.name === 'string' && d.name !== '') names.add(d.name);
  }
  return [...names];
}

type ResolveHook = (specifier: string, context: ResolveContext, next: (s: string, c?: ResolveContext) => ResolveResult) => ResolveResult;
interface InThreadHooks {
  resolve: ResolveHook;
  load: unknown;
}
type CreateHooks = (options: { include: string[] }) => InThreadHooks;

/**
 * import-in-the-middle's in-thread loader (the hooks its register-hooks.mjs registers): the
 * build's CommonJS copy of it (scripts/bundle.js, 10 ms less of a start), or the package's own
 * ES modules where tsc alone built dist/.
 */
function inThreadHooks(): CreateHooks {
  try {
    return (require(packageFile('iitm-sync-hooks.js')) as { createHooks: CreateHooks }).createHooks;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND') throw err;
    const { createHook } = require('import-in-the-middle/create-hook.mjs') as {
      createHook: (meta: { url: string }) => { applyOptions: (o: unknown) => void; resolveSync: ResolveHook; loadSync: unknown };
    };
    const url = pathToFileURL(require.resolve('import-in-the-middle/register-hooks.mjs')).href;
    return (options) => {
      const hook = createHook({ url });
      hook.applyOptions(options);
      return { resolve: hook.resolveSync, load: hook.loadSync };
    };
  }
}

/**
 * Install the hook for `modules`. Throws when it cannot be installed (the caller says what stays
 * unmeasured). The import-in-the-middle copy is autoprom's own dependency, the one its
 * @opentelemetry/instrumentation hooks with (the bundle leaves import-in-the-middle outside, so
 * both resolve it from autoprom's package).
 */
export function installModuleHook(names: string[]): ModuleHookKind | undefined {
  if (installed !== undefined) return installed;
  const modules = [...names, ...extraEntries];
  // Nothing to wrap: no hook at all (no loader thread, no resolution changes).
  if (modules.length === 0) return undefined;
  if (syncModuleHooksWork(process.version)) {
    const hooks = inThreadHooks()({ include: modules });
    (require('node:module') as { registerHooks: RegisterHooks }).registerHooks({
      resolve: resolveAsWithout(hooks.resolve),
      load: hooks.load,
    });
    // Node 24's `-e`/`-p` script then requires the builtin `module` through the new hooks with a
    // URL they cannot load (ENOENT 'module'), unless a require of it from a file went first.
    require('module');
    installed = 'sync';
  } else {
    registerAsyncHook(pathToFileURL(packageFile('module-hook-async.mjs')), { data: { include: modules } });
    installed = 'async';
  }
  return installed;
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface ResolveContext {
  conditions?: readonly string[];
  parentURL?: string;
}
type RegisterHooks = (hooks: { resolve: ResolveHook; load: unknown }) => unknown;

const IMPORT_META = 'node:internal/modules/esm/initialize_import_meta';

/** Whether the resolution under way was asked for by `import.meta.resolve()` (Node's own frame is below). */
function askedByImportMeta(hook: (...args: never[]) => unknown): boolean {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_err, sites) => sites;
    Error.stackTraceLimit = 12;
    Error.captureStackTrace(holder, hook);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    return Array.isArray(sites) && sites.some((site) => site.getFileName() === IMPORT_META);
  } catch {
    return false;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * import-in-the-middle gives the wrapper of a module it wraps a second URL, the module's own one
 * with `?iitm=true`, and `import.meta.resolve()` goes through the same resolve hook as an import.
 * Its in-thread resolve hook, so wrapped, gives `import.meta.resolve()` the module's own URL, as
 * without autoprom, and remembers it: an import by that very URL, but for the wrapper's own, is
 * then given the wrapper, so `import(import.meta.resolve('pg'))` is the measured module, the one
 * `import('pg')` gives. (A hook layer of its own would cost every `require()`: 12 ms of CPU for
 * an app loading express, pg, ioredis, fastify and mysql2; the thread hook of Node 22.15 …
 * 22.22.2 cannot tell `import.meta.resolve()`, see module-hook-async.mjs.)
 */
function resolveAsWithout(resolveThroughWrapper: ResolveHook): ResolveHook {
  /** A wrapped module's own URL → its wrapper's URL, for the URLs given to `import.meta.resolve()`. */
  const wrappers = new Map<string, string>();
  const resolve: ResolveHook = (specifier, context, next) => {
    const result = resolveThroughWrapper(specifier, context, next);
    const url = result?.url;
    if (typeof url !== 'string') return result;
    if (url.indexOf('iitm=true') !== -1) {
      if (!askedByImportMeta(resolve)) return result;
      const own = withoutMark(url);
      if (own === undefined) return result;
      wrappers.set(own, url);
      return { ...result, url: own };
    }
    if (wrappers.size === 0) return result;
    // Only that URL itself as the specifier (a relative import inside the package is its own).
    const wrapper = wrappers.get(specifier);
    if (wrapper === undefined || context.conditions?.includes('require') === true) return result;
    if (context.parentURL === undefined || context.parentURL.includes('iitm=')) return result;
    return { ...result, url: wrapper, shortCircuit: true };
  };
  return resolve;
}

/** `url` without import-in-the-middle's `iitm` search parameter (undefined where it is not one). */
function withoutMark(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.searchParams.get('iitm') !== 'true') return undefined;
    parsed.searchParams.delete('iitm');
    return parsed.href;
  } catch {
    return undefined;
  }
}
