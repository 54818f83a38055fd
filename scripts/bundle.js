// After tsc: bundle what the preload loads into one file, so that a start reads and compiles one
// file instead of some 400 (autoprom's modules and the OpenTelemetry packages it runs on). The
// preload, the public API (`autoprom`) and `autoprom/testutils` share the one bundle,
// dist/autoprom.js (one module graph: one running instance); dist/register.js, dist/src/index.js
// and dist/src/testutils.js become entry points into it. The metrics worker and the aggregator,
// which run in a thread and a process of their own, are bundled in place. import-in-the-middle
// stays outside: its module hooks load it by file, and the copy they load must be the one the
// bundled @opentelemetry/instrumentation hooks with. The licences of the bundled packages go to
// dist/THIRD-PARTY-LICENSES.txt.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external: ['import-in-the-middle', 'import-in-the-middle/*'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

// Entry points into the bundle: each part is loaded the first time it is asked for.
const ENTRY = `'use strict';
exports.register = () => require('./register.js');
Object.defineProperty(exports, 'index', { get: () => require('./src/index.js') });
Object.defineProperty(exports, 'testutils', { get: () => require('./src/testutils.js') });
`;

/** The directories of the packages a build's inputs come from (a package nested in two versions counts twice). */
function packagesOf(metafile, into) {
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m !== null) into.add(path.resolve(root, m[1]));
  }
}

function thirdPartyLicenses(packages) {
  const parts = [];
  const all = [...packages].map((dir) => ({ dir, pkg: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
  all.sort((a, b) => a.pkg.name.localeCompare(b.pkg.name) || a.pkg.version.localeCompare(b.pkg.version));
  for (const { dir, pkg } of all) {
    const file = fs.readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f));
    const text =
      file === undefined ? `(no licence file; package.json says ${pkg.license})` : fs.readFileSync(path.join(dir, file), 'utf8').trim();
    parts.push(`${pkg.name}@${pkg.version} (${pkg.license})\n\n${text}\n`);
  }
  return `autoprom's dist/ bundles these packages:\n\n${parts.join('\n' + '-'.repeat(72) + '\n\n')}`;
}

/**
 * Turn dist/src/<name>.js into an entry point of the bundle, with every export it had written
 * out by name, in the form Node reads an ES module import's named exports from (cjs-module-lexer).
 */
function entryInto(name, what) {
  const file = path.join(dist, 'src', `${name}.js`);
  const names = Object.keys(require(file)).filter((n) => n !== '__esModule');
  const lines = [
    "'use strict';",
    `// ${what}, in the bundle.`,
    "Object.defineProperty(exports, '__esModule', { value: true });",
    `const part = require('../autoprom.js').${name};`,
    ...names.map(
      (n) => `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: function () { return part.${n}; } });`,
    ),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

async function main() {
  if (fs.readFileSync(path.join(dist, 'register.js'), 'utf8').includes("require('./autoprom.js')"))
    throw new Error('dist/ is bundled already: npm run build compiles it afresh');
  const packages = new Set();
  const main = await esbuild.build({
    ...common,
    stdin: { contents: ENTRY, resolveDir: dist, sourcefile: 'autoprom-entry.js', loader: 'js' },
    outfile: path.join(dist, 'autoprom.js'),
  });
  packagesOf(main.metafile, packages);
  // The metrics worker's and the aggregator process's own scripts, and what the preload loads in
  // a thread other than the main one, bundled where they are.
  for (const file of ['export/worker.js', 'export/aggregator.js', 'worker-thread.js']) {
    const where = path.join(dist, 'src', file);
    const out = `${where}.bundle`;
    const r = await esbuild.build({ ...common, entryPoints: [where], outfile: out });
    packagesOf(r.metafile, packages);
    fs.renameSync(out, where);
  }
  // The preload as tsc wrote it, for the test of which module loads when (never in the package):
  // the bundle initializes each module at its first require, as the files do.
  fs.copyFileSync(path.join(dist, 'register.js'), path.join(dist, 'register-unbundled.js'));
  fs.writeFileSync(
    path.join(dist, 'register.js'),
    [
      "'use strict';",
      "// The preload (register.ts), in the bundle. A thread other than the main one (an application's",
      "// worker, Node's module-hooks thread) loads only src/worker-thread.js, never the bundle.",
      "if (require('node:worker_threads').isMainThread) require('./autoprom.js').register();",
      "else require('./src/worker-thread.js').noteServersInThread();",
      '',
    ].join('\n'),
  );
  entryInto('index', 'The public API (src/index.ts)');
  entryInto('testutils', 'autoprom/testutils (src/testutils.ts)');
  fs.writeFileSync(path.join(dist, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(packages));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
