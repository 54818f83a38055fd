import { strict as assert } from 'node:assert';
import { clientAlias, poolOptionsAlias } from '../src/db/pg';

describe('db: alias label', () => {
  it('a client: its resolved database, else unknown', () => {
    assert.equal(clientAlias({ database: 'shop' }), 'shop');
    assert.equal(clientAlias({ connectionParameters: { database: 'shop' } }), 'shop');
    assert.equal(clientAlias({ database: '' }), 'unknown');
    assert.equal(clientAlias({}), 'unknown');
    // What pg makes of postgres://user:1234/SECRETPW2@127.0.0.1:5439/test: host user, port 1234, this database.
    assert.equal(clientAlias({ database: 'SECRETPW2@127.0.0.1:5439/test' }), 'test');
  });

  const pools: Array<[string, Parameters<typeof poolOptionsAlias>[0], NodeJS.ProcessEnv, string]> = [
    ['database option', { database: 'shop', connectionString: 'postgres://u@h/other' }, {}, 'shop'],
    ['connection string path', { connectionString: 'postgres://u:secret@h:5432/orders?sslmode=require' }, {}, 'orders'],
    ['encoded path', { connectionString: 'postgres://u@h/my%20db' }, {}, 'my db'],
    ['no path: PGDATABASE', { connectionString: 'postgres://u@h' }, { PGDATABASE: 'envdb' }, 'envdb'],
    ['no database: the user', { user: 'alice' }, {}, 'alice'],
    ['no database: PGUSER', {}, { PGUSER: 'bob' }, 'bob'],
    ['not a URL', { connectionString: '/var/run/postgresql' }, {}, 'unknown'],
    ['nothing', undefined, {}, 'unknown'],
    [
      'a password with / read as the path: never the password',
      { connectionString: 'postgres://user:1234/SECRETPW2@127.0.0.1:5439/test' },
      {},
      'test',
    ],
    ['a database option that carries a credential', { database: 'SECRET@127.0.0.1:5439' }, {}, 'unknown'],
    ['a long name is cut to 100 characters', { database: 'd'.repeat(300) }, {}, 'd'.repeat(100)],
  ];
  for (const [what, options, env, expected] of pools) {
    it(`a pool before its first client: ${what} → ${expected}`, () => assert.equal(poolOptionsAlias(options, env), expected));
  }
});
