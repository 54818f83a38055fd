/**
 * The HTTP area's only patch of Node itself: a pass-through `ServerResponse#writeHead` that
 * notes the Content-Type of headers passed straight to it, which Node sends without keeping
 * (`getHeader` cannot see them; fastify answers that way), for the charset family.
 */
import { ServerResponse } from 'node:http';
import { START, WRITTEN_CONTENT_TYPE, type MeasuredResponse } from './response-state';

/**
 * The Content-Type in headers given to `writeHead`: an object (`content-type` or
 * `Content-Type` key), a flat `[name, value, …]` array or an array of pairs.
 */
export function contentTypeOfHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) {
    if (headers.length === 0) return undefined;
    if (Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) {
        if (typeof pair[0] === 'string' && pair[0].length === 12 && pair[0].toLowerCase() === 'content-type') return pair[1];
      }
      return undefined;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i];
      if (typeof name === 'string' && name.length === 12 && name.toLowerCase() === 'content-type') return headers[i + 1];
    }
    return undefined;
  }
  const h = headers as Record<string, unknown>;
  const value = h['content-type'];
  return value !== undefined ? value : h['Content-Type'];
}

type WriteHead = (this: MeasuredResponse, ...args: unknown[]) => unknown;
let originalWriteHead: WriteHead | undefined;

/**
 * `writeHead(status, headers)` with no header set before sends those headers without
 * keeping them: note the Content-Type. Node's own `writeHead(status)` calls (every implicit
 * header) take the first branch only.
 */
export function patchWriteHead(): void {
  if (originalWriteHead !== undefined) return;
  const original = ServerResponse.prototype.writeHead as unknown as WriteHead;
  originalWriteHead = original;
  // Node's writeHead reads its three parameters only (never `arguments`): pass them as is.
  const writeHead = function writeHead(this: MeasuredResponse, statusCode: unknown, reason?: unknown, obj?: unknown) {
    if (reason !== undefined && this[START] !== undefined) {
      try {
        const contentType = contentTypeOfHeaders(typeof reason === 'string' ? obj : reason);
        if (contentType !== undefined) this[WRITTEN_CONTENT_TYPE] = contentType;
      } catch {
        // counting never changes what the application sees
      }
    }
    return original.call(this, statusCode, reason, obj);
  };
  ServerResponse.prototype.writeHead = writeHead as unknown as typeof ServerResponse.prototype.writeHead;
}

export function unpatchWriteHead(): void {
  if (originalWriteHead === undefined) return;
  ServerResponse.prototype.writeHead = originalWriteHead as unknown as typeof ServerResponse.prototype.writeHead;
  originalWriteHead = undefined;
}
