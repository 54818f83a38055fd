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

/**
 * Two index files of OpenTelemetry packages run far more at start than autoprom reads from them:
 * - the Node.js resource detectors (host, OS, process, service instance id) load node:crypto and
 *   node:os, which sdk-metrics' import of @opentelemetry/resources does at start, though autoprom
 *   runs no detector;
 * - semantic-conventions builds its deprecated constant tables (`SemanticAttributes`,
 *   `SemanticResourceAttributes`), though the bundled code reads only stable constants.
 * Each index is replaced by one with the same exports as getters: a part loads when one of its
 * exports is first read. The build fails if an index is not the plain list of re-exports this
 * expects, or if the exports differ.
 */
const LAZY_REEXPORTS =
  /[\\/]@opentelemetry[\\/](?:resources[\\/]dist[\\/]detectors[\\/]platform[\\/]node|semantic-conventions[\\/]dist)[\\/]index\.cjs$/;

function lazyReexports(file) {
  const source = fs.readFileSync(file, 'utf8');
  const modules = new Map();
  const names = [];
  const getters = [];
  for (const line of source.split('\n').map((l) => l.trim())) {
    let m;
    if (line === '' || line === 'Object.defineProperty(exports, Symbol.toStringTag, { value: "Module" });') continue;
    else if ((m = /^const (\w+) = require\(("[^"]+")\);$/.exec(line)) !== null) modules.set(m[1], m[2]);
    else if ((m = /^exports\.(\w+) = (\w+)\.(\w+);$/.exec(line)) !== null && modules.has(m[2])) {
      names.push(m[1]);
      getters.push(
        `Object.defineProperty(exports, ${JSON.stringify(m[1])}, { enumerable: true, get: () => require(${modules.get(m[2])}).${m[3]} });`,
      );
    } else throw new Error(`${file}: not a plain list of re-exports (${line}); scripts/bundle.js expects one`);
  }
  const expected = Object.keys(require(file)).sort();
  if (JSON.stringify(expected) !== JSON.stringify(names.sort())) throw new Error(`${file}: lazy exports ${names} differ from ${expected}`);
  return ['Object.defineProperty(exports, Symbol.toStringTag, { value: "Module" });', ...getters].join('\n');
}

const lazyDetectors = {
  name: 'lazy-reexports',
  setup(build) {
    build.onLoad({ filter: LAZY_REEXPORTS }, (args) => ({
      contents: lazyReexports(args.path),
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * require-in-the-middle's `debug`: the bundle's own copy, which reads nothing but DEBUG when it
 * loads. Without DEBUG it would print nothing; loading it costs node:tty, node:os and
 * supports-color (2 ms of a start). So it loads only where DEBUG is set.
 */
const debugOnlyWithDEBUG = {
  name: 'debug-only-with-DEBUG',
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, (args) => ({
      path: require.resolve('debug', { paths: [args.resolveDir] }),
      namespace: 'debug-only-with-DEBUG',
    }));
    build.onLoad({ filter: /.*/, namespace: 'debug-only-with-DEBUG' }, (args) => ({
      contents: [
        "'use strict';",
        `module.exports = process.env.DEBUG ? require(${JSON.stringify(args.path)}) : function createDebug() {`,
        '  const debug = function () {};',
        '  debug.enabled = false;',
        '  return debug;',
        '};',
      ].join('\n'),
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

const common = {
  bundle: true,
  plugins: [lazyDetectors, debugOnlyWithDEBUG],
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
    // A plugin's module is named `namespace:path`.
    const m = /^(?:[\w-]+:)?(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m !== null) into.add(path.resolve(root, m[1]));
  }
}

function thirdPartyLicenses(packages) {
  const parts = [];
  const all = [...packages].map((dir) => ({ dir, pkg: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
  all.sort((a, b) => a.pkg.name.localeCompare(b.pkg.name) || a.pkg.version.localeCompare(b.pkg.version));
  // Two copies of one package would be two module instances (two require hooks for
  // @opentelemetry/instrumentation): dedupe them in package.json's overrides instead.
  const twice = all.filter((p, i) => i > 0 && all[i - 1].pkg.name === p.pkg.name).map((p) => p.pkg.name);
  if (twice.length > 0)
    throw new Error(
      `bundle: more than one copy of ${[...new Set(twice)].join(', ')} (${all
        .filter((p) => twice.includes(p.pkg.name))
        .map((p) => path.relative(root, p.dir))
        .join(', ')})`,
    );
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
  // import-in-the-middle's in-thread loader (its register-hooks.mjs), as CommonJS: loaded as the ES
  // modules it is written as, it costs a start about 10 ms of ES module resolution and of facades
  // for the builtins it imports. Its generated wrappers still import the package's own
  // lib/register.js (the URL below), the copy the bundled @opentelemetry/instrumentation hooks with.
  const iitm = path.dirname(require.resolve('import-in-the-middle/package.json'));
  const hooks = await esbuild.build({
    ...common,
    external: [],
    stdin: {
      contents: [
        "'use strict';",
        "const { createHook } = require('./create-hook.mjs');",
        '/** The hooks register-hooks.mjs `register` registers, given what it reads from `import.meta`. */',
        'exports.createHooks = function createHooks(options) {',
        '  const hook = createHook({ url: IITM_HOOKS_URL });',
        '  if (options) hook.applyOptions(options);',
        '  return { resolve: hook.resolveSync, load: hook.loadSync };',
        '};',
      ].join('\n'),
      resolveDir: iitm,
      sourcefile: 'iitm-sync-hooks-entry.js',
      loader: 'js',
    },
    define: { 'import.meta.url': 'IITM_HOOKS_URL' },
    banner: {
      js: "var IITM_HOOKS_URL = require('node:url').pathToFileURL(require('node:path').join(require('node:path').dirname(require.resolve('import-in-the-middle')), 'register-hooks.mjs')).href;",
    },
    outfile: path.join(dist, 'src', 'iitm-sync-hooks.js'),
  });
  packagesOf(hooks.metafile, packages);
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
