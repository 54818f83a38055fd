// restify 11 and its restify-errors, required by name from this package (the CommonJS test app loads them through this file).
const restify = require('restify');
const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] }));
const { version } = require('restify/package.json');

module.exports = { restify, errors, version };
