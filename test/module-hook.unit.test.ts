import { strict as assert } from 'node:assert';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { instrumentedModules, syncModuleHooksWork } from '../src/module-hook';

describe('module hook (unit)', () => {
  const versions: Array<[string, boolean]> = [
    ['v20.20.2', false],
    ['v22.15.0', false],
    ['v22.22.2', false],
    ['v22.22.3', true],
    ['v22.23.0', true],
    ['v23.11.0', false],
    ['v24.11.0', false],
    ['v24.11.1', true],
    ['v24.21.0', true],
    ['v25.0.0', false],
    ['v25.1.0', true],
    ['v26.0.0', true],
    ['garbage', false],
  ];
  for (const [version, works] of versions) {
    it(`synchronous hooks on ${version}: ${works ? 'yes' : 'no (module.register instead)'}`, () => {
      assert.equal(syncModuleHooksWork(version), works);
    });
  }

  it('instrumentedModules lists each module the instrumentations name once, in order', () => {
    const fake = (...names: unknown[]) => ({ getModuleDefinitions: () => names.map((name) => ({ name })) }) as unknown as Instrumentation;
    const none = {} as Instrumentation;
    assert.deepEqual(instrumentedModules([fake('pg', 'pg-pool'), fake('ioredis', 'pg'), none, fake('', 7, 'express')]), [
      'pg',
      'pg-pool',
      'ioredis',
      'express',
    ]);
  });
});
