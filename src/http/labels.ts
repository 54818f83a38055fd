/**
 * Pure label helpers for the HTTP families: every value they return is bounded and safe
 * to use as a Prometheus label (no header value, URL or message text passes through raw).
 */

/** django-prometheus's label for a method outside the standard set. */
export const INVALID_METHOD = '<invalid method>';

/** Method labels by index (see `methodIndex`); the last one is the invalid method. */
export const METHOD_LABELS: readonly string[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  INVALID_METHOD,
];
export const METHOD_COUNT = METHOD_LABELS.length;

/** Index of a request method in METHOD_LABELS; anything non-standard is the invalid method. */
export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return 9;
  }
}

/** The method label django-prometheus would give. */
export function methodLabel(method: string | undefined): string {
  return METHOD_LABELS[methodIndex(method)];
}

/** A Content-Length value as a byte count: 0 when absent or not a plain decimal number. */
export function parseContentLength(value: string | number | readonly string[] | undefined): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  if (typeof value !== 'string') return 0;
  const n = value.length;
  // 15 digits stay exact in a double; anything longer is not a real body size.
  if (n === 0 || n > 15) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return 0;
    total = total * 10 + c;
  }
  return total;
}

const CHARSET_RE = /^[a-z0-9][a-z0-9._:+-]{0,39}$/;

/**
 * The `charset` parameter of a Content-Type value, lower-cased, or undefined when there is
 * none or it does not look like a charset name (so a header value never becomes a label).
 */
export function charsetOf(contentType: unknown): string | undefined {
  if (typeof contentType !== 'string') return undefined;
  const lower = contentType.toLowerCase();
  let at = lower.indexOf('charset=');
  while (at !== -1) {
    // Only a parameter: preceded by ';' and optional whitespace.
    let j = at - 1;
    while (j >= 0 && (lower[j] === ' ' || lower[j] === '\t')) j--;
    if (j >= 0 && lower[j] === ';') break;
    at = lower.indexOf('charset=', at + 8);
  }
  if (at === -1) return undefined;
  let value = lower.slice(at + 8);
  const semi = value.indexOf(';');
  if (semi !== -1) value = value.slice(0, semi);
  value = value.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).trim();
  return CHARSET_RE.test(value) ? value : undefined;
}

const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]{0,99}$/;

/**
 * The `type` label of a raised value: its class name (`err.constructor.name`), as Python's
 * `type(e).__name__`. Anonymous or odd class names become `Error`; primitives their wrapper name.
 */
export function errorTypeName(err: unknown): string {
  if (err === null) return 'null';
  switch (typeof err) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return 'String';
    case 'number':
      return 'Number';
    case 'boolean':
      return 'Boolean';
    case 'bigint':
      return 'BigInt';
    case 'symbol':
      return 'Symbol';
    default:
      break;
  }
  let name: unknown;
  try {
    const ctor = (err as { constructor?: unknown }).constructor;
    name = typeof ctor === 'function' ? ctor.name : 'Object';
  } catch {
    // A hostile getter or a revoked proxy: the error still counts.
    name = undefined;
  }
  return typeof name === 'string' && IDENTIFIER_RE.test(name) ? name : 'Error';
}

/** The `templatename` label of a rendered template, or undefined when it is not a usable name. */
export function templateNameLabel(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200) return undefined;
  // Control characters never belong in a template name.
  for (let i = 0; i < trimmed.length; i++) if (trimmed.charCodeAt(i) < 0x20) return undefined;
  return trimmed;
}

/** The `status` label: the three-digit code, or `invalid` for anything Node would not send. */
export function statusLabel(status: unknown): string {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 999 ? String(status) : 'invalid';
}

/** The `host` label of an outgoing request: `server.address[:server.port]`. */
export function clientHostLabel(address: unknown, port: unknown): string {
  if (typeof address !== 'string' || address === '') return 'unknown';
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return typeof port === 'number' || (typeof port === 'string' && port !== '') ? `${host}:${port}` : host;
}
