import { strict as assert } from 'node:assert';
import { isPackageManagerLauncher } from '../src/launcher';

describe('package-manager launchers (unit)', () => {
  const cases: Array<[string | undefined, boolean]> = [
    ['/usr/bin/npm', true],
    ['/usr/local/bin/npx', true],
    ['/srv/app/node_modules/.bin/pnpm', true],
    ['/usr/local/bin/yarn', true],
    ['/usr/lib/node_modules/npm/bin/npm-cli.js', true],
    ['/usr/lib/node_modules/npm/bin/npx-cli.js', true],
    ['C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js', true],
    ['/usr/local/lib/node_modules/yarn/bin/yarn.js', true],
    ['/app/.yarn/releases/yarn-4.5.1.cjs', true],
    ['/usr/local/lib/node_modules/pnpm/bin/pnpm.cjs', true],
    ['/usr/local/lib/node_modules/corepack/dist/corepack.js', true],
    ['/usr/local/lib/node_modules/corepack/dist/pnpm.js', true],
    ['/srv/app/server.js', false],
    ['/srv/app/dist/main.js', false],
    ['/srv/app/node_modules/.bin/next', false],
    ['/srv/app/my-npm-cli.js.bak', false],
    ['/srv/yarnish/app.js', false],
    ['/srv/app/npm.js', false],
    ['/srv/app/yarn.js', false],
    ['/srv/app/bin/npm-proxy', false],
    [undefined, false],
  ];
  for (const [entry, launcher] of cases) {
    it(`${String(entry)}: ${launcher ? 'a launcher (autoprom stays out)' : 'the application'}`, () => {
      assert.equal(isPackageManagerLauncher(entry), launcher);
    });
  }
});
