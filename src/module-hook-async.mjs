// The asynchronous module hook (`module.register`, on a Node whose `module.registerHooks` cannot
// run import-in-the-middle's loader: 22.15 … 22.22.2): import-in-the-middle's hook, and one thing
// more. There `import.meta.resolve()` of a module it wraps gives the wrapper's URL (`?iitm=true`),
// and an import of that URL would give the module unwrapped, unmeasured; this layer gives it the
// wrapper, the module `import 'pg'` gives. (Where the hooks run in-thread, src/module-hook.ts
// gives `import.meta.resolve()` the module's own URL instead.)
import { initialize, load, resolve as resolveThroughWrapper } from 'import-in-the-middle/hook.mjs';

export { initialize, load };

/** The wrappers' URLs this hook has given, and the format each was resolved with. */
const wrappers = new Map();

export async function resolve(specifier, context, next) {
  const result = await resolveThroughWrapper(specifier, context, next);
  if (typeof result?.url !== 'string') return result;
  if (result.url.includes('iitm=true')) {
    wrappers.set(result.url, result.format);
    return result;
  }
  if (wrappers.size === 0 || !wrappers.has(specifier) || (context.parentURL ?? '').includes('iitm=')) return result;
  return { url: specifier, format: wrappers.get(specifier), shortCircuit: true };
}
