import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { APPS, ROOT, startApp } from './helpers/child';
import { samplesOf, valueOf } from './helpers/exposition';

describe('db: recordModelOperation for stores that do not go through pg', () => {
  it('counts exactly what it is told, bounds the label, ignores bad calls with one stderr line', async () => {
    const app = await startApp('db-models-api.js');
    try {
      const e = await app.scrape();
      assert.equal(valueOf(e, 'django_model_inserts_total', { model: 'ap_api_doc' }), 3);
      assert.equal(valueOf(e, 'django_model_updates_total', { model: 'ap_api_doc' }), 1);
      assert.equal(valueOf(e, 'django_model_deletes_total', { model: 'ap_api_doc' }), 3);
      assert.equal(valueOf(e, 'django_model_deletes_total', { model: 'x'.repeat(100) }), 1);
      assert.equal(samplesOf(e, 'django_model_inserts_total').length, 1);
      assert.equal(app.stderr().match(/recordModelOperation: ignored/g)?.length, 1);
    } finally {
      await app.stop();
    }
  });

  it('is a no-op when autoprom is not running', () => {
    const script = `const { recordModelOperation, current } = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))});
      recordModelOperation('ap_api_doc', 'insert'); console.log(current() === undefined ? 'not running' : 'running');`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: APPS, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'not running');
    assert.equal(r.stderr, '');
  });
});
