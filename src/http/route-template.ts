/**
 * Route templates as `view` labels: the path patterns an application registered (strings,
 * regular expressions, arrays of either), never a request's own path.
 */

/** django-prometheus's view label when no route matched. */
export const UNNAMED_VIEW = '<unnamed view>';

const MAX_TEMPLATE = 200;

/** A RegExp route as readable text: `/^\/files\/(.*)$/i` gives `/files/(.*)`. */
function renderRegExp(re: RegExp): string {
  let s = re.source;
  if (s.startsWith('^')) s = s.slice(1);
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1);
  return s.replace(/\\\//g, '/');
}

/**
 * The template of a route path as registered with express, router, fastify or koa:
 * a string as is, a RegExp readably, an array as its members joined by `,`.
 * undefined when there is nothing usable.
 */
export function renderRoutePath(path: unknown): string | undefined {
  let out: string | undefined;
  if (typeof path === 'string') out = path;
  else if (path instanceof RegExp) out = renderRegExp(path);
  else if (Array.isArray(path)) {
    const parts: string[] = [];
    for (const p of path as unknown[]) {
      const r = renderRoutePath(p);
      if (r !== undefined) parts.push(r);
    }
    out = parts.length > 0 ? parts.join(',') : undefined;
  }
  if (out === undefined) return undefined;
  return out.length > MAX_TEMPLATE ? `${out.slice(0, MAX_TEMPLATE)}…` : out;
}

/** A mount path followed by a route template: `/api` + `/users/:id`, `/api` + `/` gives `/api`. */
export function joinRoutePath(mount: string, route: string): string {
  if (mount === '' || mount === '/') return route === '' ? '/' : route;
  const base = mount.endsWith('/') ? mount.slice(0, -1) : mount;
  if (route === '' || route === '/') return base === '' ? '/' : base;
  return route.startsWith('/') ? base + route : `${base}/${route}`;
}

/** Two mount templates joined, where undefined and `` are no mount: `/api` + `/v1` gives `/api/v1`. */
export function joinMounts(outer: string | undefined, inner: string | undefined): string | undefined {
  if (outer === undefined || outer === '') return inner === '' ? undefined : inner;
  if (inner === undefined || inner === '') return outer;
  return joinRoutePath(outer, inner);
}

/**
 * The path argument of `app.use` / `router.use` as express reads it: the first argument
 * unless it is (an array whose first member is) a function, else the root `/`.
 */
export function useMountPath(args: readonly unknown[]): unknown {
  const first = args[0];
  if (typeof first === 'function') return '/';
  let arg: unknown = first;
  while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
  return typeof arg === 'function' ? '/' : first;
}
