/**
 * Reads of node:http internals that carry what the django families need and no public API
 * gives: the body length Node itself sent. Present in Node 22 and 24; each read falls back
 * to public API when a field is missing.
 */
import { parseContentLength } from './labels';
import type { MeasuredResponse } from './response-state';

interface ResponseInternals {
  /** The Content-Length Node sent (explicit, from writeHead, or computed by end(body)). */
  _contentLength?: unknown;
  /** false for responses that cannot have a body (HEAD, 204, 304). */
  _hasBody?: boolean;
}

/**
 * Body bytes of a finished response sent with a length, or undefined when it was streamed
 * (chunked, or a body without a length on HTTP/1.0 or `Connection: close`).
 */
export function sentBodyBytes(res: MeasuredResponse): number | undefined {
  if (res.chunkedEncoding) return undefined;
  const internals = res as unknown as ResponseInternals;
  const sent = internals._contentLength;
  if (typeof sent === 'number' && sent >= 0) return sent;
  if (internals._hasBody === false) return 0;
  const declared = res.getHeader('content-length');
  return declared !== undefined ? parseContentLength(declared as string | number) : undefined;
}
