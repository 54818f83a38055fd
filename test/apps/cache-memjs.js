// CommonJS app: loads memjs with require, then serves the scripted steps.
'use strict';
require('./cache-memjs-steps.js').serve(require('memjs'));
