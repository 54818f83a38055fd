/**
 * Monitoring never hurts the application: with the preload, every pg result and every error
 * (refused connection, unknown database, SQLSTATE failures, unhandled rejections) is exactly
 * what the application sees without it, and autoprom reports no internal error.
 */
import { strict as assert } from 'node:assert';
import { startApp, type RunningApp } from './helpers/child';
import { requirePostgres } from './helpers/services';
import { runStep, SEQUENCE } from './db-sequence';

const STEPS = [...SEQUENCE.map(([step]) => step), 'unhandled', 'cleanup'];

async function runAll(app: RunningApp): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const step of STEPS) out[step] = await runStep(app, step);
  return out;
}

describe('db: the application sees the same results and errors with and without autoprom', () => {
  let bare: RunningApp | undefined;
  let measured: RunningApp | undefined;
  after(async () => {
    await bare?.stop();
    await measured?.stop();
  });

  it('every step replies identically, unhandled rejections included', async () => {
    await requirePostgres();
    // One after the other: both use the same tables.
    bare = await startApp('db-app.js', { preload: 'none' });
    const without = await runAll(bare);
    await bare.stop();
    measured = await startApp('db-app.js', { preload: 'require' });
    const withAutoprom = await runAll(measured);

    assert.deepEqual(withAutoprom, without);
    // The failures really happened (the comparison is not between two empty replies).
    assert.equal((without.refused as { value: Array<{ code: string }> }).value[0].code, 'ECONNREFUSED');
    assert.equal((without.wrongDatabase as { error: { code: string } }).error.code, '3D000');
    assert.deepEqual(
      (without.unhandled as { value: Array<{ code: string }> }).value.map((e) => e.code),
      ['22012', '42P01', 'ECONNREFUSED'],
    );
    assert.doesNotMatch(measured.stderr(), /internal error|instrumentation-pg|pg-pool|database metrics/);
    const e = await measured.scrape();
    assert.ok(e.samples.some((s) => s.name === 'django_db_execute_total' && s.value > 0));
  });
});
