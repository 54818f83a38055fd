/**
 * The one way autoprom replaces a function of someone else's object (a prototype method, a
 * router layer's handler), and puts it back.
 *
 * Why not OpenTelemetry's `InstrumentationBase._wrap` (shimmer): shimmer marks its wrappers
 * with `__wrapped`/`__original`, and OpenTelemetry instrumentations that find such a mark
 * (instrumentation-pg re-patches `Client.prototype` per file and per module) unwrap or re-wrap
 * it, which would remove autoprom's wrapper or time every statement twice. Here the original
 * is kept under a private symbol, the replacement is non-enumerable like the method it
 * replaces, and patching twice is a no-op.
 */

const ORIGINAL = Symbol('autoprom.original');

// Patched functions are any function shape: the wrapper forwards `this` and every argument as is.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (this: any, ...args: any[]) => any;
type Marked = AnyFunction & { [ORIGINAL]?: AnyFunction };

/** Whether `fn` is an autoprom wrapper. */
export function isPatched(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as Marked)[ORIGINAL] !== undefined;
}

/** The function an autoprom wrapper replaced (`fn` itself when it is not one). */
export function originalOf<F>(fn: F): F {
  return typeof fn === 'function' && (fn as Marked)[ORIGINAL] !== undefined ? ((fn as Marked)[ORIGINAL] as F) : fn;
}

/** Mark `wrapper` as autoprom's replacement of `original` (for wrappers installed by hand). */
export function markPatched<F extends AnyFunction>(wrapper: F, original: AnyFunction): F {
  Object.defineProperty(wrapper, ORIGINAL, { value: original, configurable: true });
  return wrapper;
}

/**
 * Replace `target[name]` by `make(original)`, unless it is missing, not a function, or
 * already autoprom's. Returns whether it replaced it. `enumerable` follows the replaced
 * property's own descriptor (prototype methods of classes are not enumerable).
 */
export function patchMethod<T extends object>(target: T, name: string, make: (original: AnyFunction) => AnyFunction): boolean {
  const holder = target as Record<string, unknown>;
  const current = holder[name];
  if (typeof current !== 'function' || isPatched(current)) return false;
  const wrapper = markPatched(make(current as AnyFunction), current as AnyFunction);
  const own = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { value: wrapper, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
  return true;
}

/** Put back what `patchMethod` replaced on `target` (inherited wrappers are left to their owner). */
export function unpatchMethod<T extends object>(target: T, name: string): void {
  const own = Object.getOwnPropertyDescriptor(target, name);
  const current = own?.value as Marked | undefined;
  if (typeof current !== 'function' || current[ORIGINAL] === undefined) return;
  Object.defineProperty(target, name, {
    value: current[ORIGINAL],
    writable: true,
    configurable: true,
    enumerable: own?.enumerable ?? false,
  });
}

/**
 * The object a module hook receives, whichever way the module was loaded: the CommonJS
 * exports, or the `default` of an ES module namespace.
 */
export function moduleExportsOf<T = Record<string, unknown>>(moduleExports: unknown): T | undefined {
  if (moduleExports === null || (typeof moduleExports !== 'object' && typeof moduleExports !== 'function')) return undefined;
  const m = moduleExports as Record<string | symbol, unknown>;
  return (m[Symbol.toStringTag] === 'Module' ? (m.default ?? m) : m) as T;
}
