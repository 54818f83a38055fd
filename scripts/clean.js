// An empty dist/ before every build: a deleted source file must not live on in the package.
const fs = require('node:fs');
const path = require('node:path');
fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
