/** measureCache in real application processes: CommonJS under --require, ES module under --import, and without autoprom. */
import { strict as assert } from 'node:assert';
import { startApp, type RunningApp } from './helpers/child';
import { delta } from './helpers/exposition';

const FAMILIES = ['django_cache_get_total', 'django_cache_get_hits_total', 'django_cache_get_misses_total', 'django_cache_get_fail_total'];
const EXPECTED_REPLY = [1, null, true, 'x', null, 'cache down', ['1', null, '1'], ['1', null], '1'];

async function run(app: RunningApp): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${(app.ready as { port: number }).port}/`);
  return res.json();
}

describe('cache: measureCache in an application', () => {
  for (const [preload, script] of [
    ['require', 'cache-measure.js'],
    ['import', 'cache-measure.mjs'],
  ] as const) {
    it(`${script} under --${preload}: exact counts per backend`, async () => {
      const app = await startApp(script, { preload });
      try {
        const before = await app.scrape();
        // JSON turns undefined into null: the app saw undefined for the misses.
        assert.deepEqual(await run(app), EXPECTED_REPLY);
        assert.deepEqual(await run(app), EXPECTED_REPLY);
        const after = await app.scrape();
        const moves = (backend: string) => FAMILIES.map((f) => delta(before, after, f, { backend }));
        assert.deepEqual(moves('locmem'), [4, 2, 2, 0]);
        assert.deepEqual(moves('remote'), [4, 2, 2, 0]);
        assert.deepEqual(moves('broken'), [2, 0, 0, 2]);
        // Per request: get(['a', 'b', 'a']) 2 hits 1 miss, getMany(['a', 'b']) 1 and 1, get('a') 1 hit.
        assert.deepEqual(moves('keyv'), [12, 8, 4, 0]);
        assert.equal(app.stderr(), '');
      } finally {
        await app.stop();
      }
    });
  }

  for (const script of ['cache-measure.js', 'cache-measure.mjs']) {
    it(`${script} without autoprom: same replies, nothing recorded, nothing said`, async () => {
      const app = await startApp(script, { preload: 'none' });
      try {
        assert.deepEqual(await run(app), EXPECTED_REPLY);
        assert.equal(app.stderr(), '');
      } finally {
        await app.stop();
      }
    });
  }
});
