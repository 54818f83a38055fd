// Hono 3 and the node server of its time, imported by name from this package (the ES module test app loads them through this file).
import { createRequire } from 'node:module';

export { Hono } from 'hono';
export { HTTPException } from 'hono/http-exception';
export { serve } from '@hono/node-server';
export const { version } = createRequire(import.meta.url)('./node_modules/hono/package.json');
