// tsc does not emit the .mjs preload: copy it beside the compiled register.js.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
fs.copyFileSync(path.join(root, 'register.mjs'), path.join(root, 'dist', 'register.mjs'));
