import { strict as assert } from 'node:assert';
import { mysqlAlias } from '../src/db/mysql2';
import { sqliteAlias } from '../src/db/sqlite';

describe('db: alias of mysql2 and SQLite databases', () => {
  const sqlite: Array<[unknown, string]> = [
    ['/var/lib/app/data.db', 'data.db'],
    ['data.db', 'data.db'],
    [':memory:', ':memory:'],
    ['', ':memory:'],
    [undefined, ':memory:'],
    [Buffer.from('x'), ':memory:'],
    ['file:/srv/app.sqlite?mode=ro', 'app.sqlite'],
    [new URL('file:///srv/my%20db.sqlite'), 'my db.sqlite'],
  ];
  for (const [location, expected] of sqlite)
    it(`sqlite ${String(location)} → ${expected}`, () => assert.equal(sqliteAlias(location), expected));
  it('mysql: the database, or unknown when none is selected', () => {
    assert.equal(mysqlAlias('shop'), 'shop');
    assert.equal(mysqlAlias(''), 'unknown');
    assert.equal(mysqlAlias(undefined), 'unknown');
  });
});
