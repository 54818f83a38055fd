// tsc does not emit .mjs files: copy the ES module preload beside the compiled register.js, and the
// asynchronous module hook beside src/module-hook.js.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
fs.copyFileSync(path.join(root, 'register.mjs'), path.join(root, 'dist', 'register.mjs'));
fs.copyFileSync(path.join(root, 'src', 'module-hook-async.mjs'), path.join(root, 'dist', 'src', 'module-hook-async.mjs'));
