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

interface SyncHooks {
  register: (options: { include: string[] }) => void;
}

/**
 * import-in-the-middle's in-thread loader: the build's CommonJS copy of it (scripts/bundle.js,
 * 10 ms less of a start), or the package's own ES module where tsc alone built dist/.
 */
function syncHooks(): SyncHooks {
  try {
    return require(packageFile('iitm-sync-hooks.js')) as SyncHooks;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND') throw err;
    return require('import-in-the-middle/register-hooks.mjs') as SyncHooks;
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
    const hooks = syncHooks();
    hooks.register({ include: modules });
    // Node 24's `-e`/`-p` script then requires the builtin `module` through the new hooks with a
    // URL they cannot load (ENOENT 'module'), unless a require of it from a file went first.
    require('module');
    installed = 'sync';
  } else {
    registerAsyncHook('import-in-the-middle/hook.mjs', pathToFileURL(__filename), { data: { include: modules } });
    installed = 'async';
  }
  return installed;
}
