// restify 11, imported by name from this package (the ES module test app loads it through this file).
import { createRequire } from 'node:module';
import restify from 'restify';

const require = createRequire(import.meta.url);
export { restify };
export const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] }));
export const { version } = require('restify/package.json');
