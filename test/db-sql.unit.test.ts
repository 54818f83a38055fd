import { strict as assert } from 'node:assert';
import { parseSqlTarget, parseSqlTargets, SqlTargetCache } from '../src/db/sql';

type Row = [sql: string, expected: Array<[string, string]>];

// SQL as the ORMs emit it (Sequelize 6, TypeORM, Knex 3, Drizzle, Prisma's pg adapter, MikroORM).
const ORM_SQL: Row[] = [
  [
    'INSERT INTO "ap_users" ("id","name","createdAt","updatedAt") VALUES (DEFAULT,$1,$2,$3) RETURNING "id","name","createdAt","updatedAt";',
    [['insert', 'ap_users']],
  ],
  ['UPDATE "ap_users" SET "name"=$1,"updatedAt"=$2 WHERE "id" = $3', [['update', 'ap_users']]],
  ['DELETE FROM "ap_users" WHERE "id" = 1', [['delete', 'ap_users']]],
  ['INSERT INTO "ap_photo"("name", "views") VALUES ($1, DEFAULT) RETURNING "id", "views"', [['insert', 'ap_photo']]],
  ['UPDATE "ap_photo" SET "name" = $1 WHERE "id" IN ($2)', [['update', 'ap_photo']]],
  ['DELETE FROM "ap_photo" WHERE "id" = $1', [['delete', 'ap_photo']]],
  ['insert into "ap_books" ("title") values ($1) returning "id"', [['insert', 'ap_books']]],
  ['update "ap_books" set "title" = $1 where "id" = $2', [['update', 'ap_books']]],
  ['delete from "ap_books" where "id" = $1', [['delete', 'ap_books']]],
  ['insert into "ap_pets" ("id", "name") values (default, $1), (default, $2) returning "id", "name"', [['insert', 'ap_pets']]],
  [
    'INSERT INTO "public"."User" ("email","name") VALUES ($1,$2) RETURNING "public"."User"."id", "public"."User"."email"',
    [['insert', 'User']],
  ],
  ['UPDATE "public"."User" SET "name" = $1 WHERE ("public"."User"."id" = $2 AND 1=1) RETURNING "public"."User"."id"', [['update', 'User']]],
  ['DELETE FROM "public"."User" WHERE ("public"."User"."id" = $1 AND 1=1)', [['delete', 'User']]],
  ['insert into "author" ("name") values ($1) returning "id"', [['insert', 'author']]],
  [
    'update "author" set "name" = case when ("id" = $1) then $2 when ("id" = $3) then $4 else "name" end where "id" in ($5, $6)',
    [['update', 'author']],
  ],
  ['delete from "book" where "id" in ($1, $2)', [['delete', 'book']]],
  ['INSERT INTO "public"."Post" ("title","authorId") VALUES ($1,$2), ($3,$4) ON CONFLICT DO NOTHING', [['insert', 'Post']]],
  [
    'INSERT INTO "public"."User" ("email") VALUES ($1) ON CONFLICT ("email") DO UPDATE SET "name" = $2 WHERE ("public"."User"."email" = $3 AND 1=1) RETURNING "public"."User"."id"',
    [['insert', 'User']],
  ],
  [
    'insert into "ap_users" ("name") values ($1) on conflict ("name") do update set "name" = excluded."name" returning "id"',
    [['insert', 'ap_users']],
  ],
  ['INSERT INTO ap_t (a) VALUES (1) ON CONFLICT DO NOTHING', [['insert', 'ap_t']]],
];

// Captured verbatim from the ORMs in test/apps/db-orm.js (Sequelize 6.37, TypeORM 1.1, Knex 3.3, Drizzle 0.45).
const CAPTURED: Row[] = [
  [
    'INSERT INTO "ap_orm_seq_users" ("id","name","createdAt","updatedAt") VALUES (DEFAULT,$1,$2,$3) RETURNING "id","name","createdAt","updatedAt";',
    [['insert', 'ap_orm_seq_users']],
  ],
  [
    'INSERT INTO "ap_orm_seq_users" ("id","name","createdAt","updatedAt") VALUES (DEFAULT,\'c\',\'2026-11-21 23:41:48.024 +00:00\',\'2026-11-21 23:41:48.024 +00:00\'),(DEFAULT,\'d;e\',\'2026-11-21 23:41:48.024 +00:00\',\'2026-11-21 23:41:48.024 +00:00\') RETURNING "id","name","createdAt","updatedAt";',
    [['insert', 'ap_orm_seq_users']],
  ],
  ['UPDATE "ap_orm_seq_users" SET "name"=$1,"updatedAt"=$2 WHERE "name" IN (\'c\', \'d\')', [['update', 'ap_orm_seq_users']]],
  ['DELETE FROM "ap_orm_seq_users" WHERE "name" = \'z\'', [['delete', 'ap_orm_seq_users']]],
  ['SELECT count(*) AS "count" FROM "ap_orm_seq_users" AS "ApOrmSeqUser";', []],
  ['DROP TABLE IF EXISTS "ap_orm_seq_users" CASCADE;', []],
  ['INSERT INTO "ap_orm_typeorm_photos"("name") VALUES ($1), ($2), ($3) RETURNING "id"', [['insert', 'ap_orm_typeorm_photos']]],
  ['UPDATE "ap_orm_typeorm_photos" SET "name" = $1 WHERE "name" IN ($2, $3)', [['update', 'ap_orm_typeorm_photos']]],
  ['START TRANSACTION', []],
  [
    'SELECT "ApOrmPhoto"."id" AS "ApOrmPhoto_id", "ApOrmPhoto"."name" AS "ApOrmPhoto_name" FROM "ap_orm_typeorm_photos" "ApOrmPhoto" WHERE "ApOrmPhoto"."id" = $1',
    [],
  ],
  ['insert into "ap_orm_schema"."ap_orm_knex_books" ("title") values ($1), ($2), ($3)', [['insert', 'ap_orm_knex_books']]],
  ['update "ap_orm_schema"."ap_orm_knex_books" set "title" = $1 where "title" in ($2, $3)', [['update', 'ap_orm_knex_books']]],
  ['delete from "ap_orm_schema"."ap_orm_knex_books" where "id" = $1', [['delete', 'ap_orm_knex_books']]],
  ['insert into "ap_orm_drizzle_pets" ("id", "name") values (default, $1) returning "id", "name"', [['insert', 'ap_orm_drizzle_pets']]],
  ['update "ap_orm_drizzle_pets" set "name" = $1 where "ap_orm_drizzle_pets"."name" in ($2, $3)', [['update', 'ap_orm_drizzle_pets']]],
  ['delete from "ap_orm_drizzle_pets" where "ap_orm_drizzle_pets"."id" = $1', [['delete', 'ap_orm_drizzle_pets']]],
];

const SHAPES: Row[] = [
  // Longer names: PostgreSQL truncates them to 63 bytes and so does the label (an unbounded label otherwise).
  [`INSERT INTO "${'t'.repeat(63)}xyz" VALUES (1)`, [['insert', 't'.repeat(63)]]],
  [`update ${'u'.repeat(100)} set a = 1`, [['update', 'u'.repeat(63)]]],
  [`DELETE FROM "${'é'.repeat(40)}"`, [['delete', 'é'.repeat(31)]]],
  [`INSERT INTO "${'x'.repeat(62)}é" VALUES (1)`, [['insert', 'x'.repeat(62)]]],
  [`INSERT INTO "${'t'.repeat(63)}" VALUES (1)`, [['insert', 't'.repeat(63)]]],
  ['insert into public.ap_orders values (1)', [['insert', 'ap_orders']]],
  ['INSERT INTO Public.AP_Orders VALUES (1)', [['insert', 'ap_orders']]],
  ['INSERT INTO "Ap Mixed ""Case""" VALUES (1)', [['insert', 'Ap Mixed "Case"']]],
  ['insert into mydb.public."ApX" (a) values (1)', [['insert', 'ApX']]],
  ['  \n\t-- a comment; with INSERT INTO wrong\n/* block /* nested */ UPDATE wrong */ UPDATE ONLY ap_t SET a = 1', [['update', 'ap_t']]],
  ['/* traceparent=00-abc */ DELETE FROM ONLY "s"."ap_t" WHERE a = $1', [['delete', 'ap_t']]],
  ['DELETE FROM ap_t', [['delete', 'ap_t']]],
  ['delete from ap_t;', [['delete', 'ap_t']]],
  ['UPDATE ap_t AS t SET a = 1', [['update', 'ap_t']]],
  ['UPDATE ap_t\nSET a = 1', [['update', 'ap_t']]],
  ['INSERT INTO ap_t(a) SELECT 1', [['insert', 'ap_t']]],
  ['WITH x AS (SELECT 1 AS a) INSERT INTO ap_t (a) SELECT a FROM x RETURNING a', [['insert', 'ap_t']]],
  [
    'with recursive "x"(n) as not materialized (select 1 union all select n+1 from x where n < 3), y as (select \')\' as p) update ap_t set a = 1',
    [['update', 'ap_t']],
  ],
  [
    'WITH moved AS (DELETE FROM ap_src WHERE a > 1 RETURNING *) INSERT INTO ap_dst SELECT * FROM moved',
    [
      ['delete', 'ap_src'],
      ['insert', 'ap_dst'],
    ],
  ],
  [
    'INSERT INTO ap_a VALUES (1); UPDATE ap_b SET x = \'; DELETE FROM nope\'; DELETE FROM "ap;c"',
    [
      ['insert', 'ap_a'],
      ['update', 'ap_b'],
      ['delete', 'ap;c'],
    ],
  ],
  [
    'SELECT 1; INSERT INTO ap_a VALUES ($$;INSERT INTO nope$$); select $tag$ ; $tag$; delete from ap_b',
    [
      ['insert', 'ap_a'],
      ['delete', 'ap_b'],
    ],
  ],
  [
    "UPDATE ap_a SET s = E'it\\'s; DELETE FROM nope'; DELETE FROM ap_b",
    [
      ['update', 'ap_a'],
      ['delete', 'ap_b'],
    ],
  ],
  ['(INSERT INTO ap_a VALUES (1))', [['insert', 'ap_a']]],
];

const NOTHING: string[] = [
  '',
  '   ',
  'SELECT * FROM ap_t',
  'select "insert into x" from t',
  'CREATE TABLE ap_t (id serial primary key)',
  'CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC INSERT INTO ap_t VALUES (1); END',
  'BEGIN',
  'COMMIT',
  'EXPLAIN ANALYZE INSERT INTO ap_t VALUES (1)',
  'MERGE INTO ap_t USING s ON true WHEN MATCHED THEN DELETE',
  'COPY ap_t FROM STDIN',
  'INSERT ap_t VALUES (1)',
  'DELETE ap_t',
  'INSERT INTO',
  'UPDATE',
  'INSERT INTO U&"d\\0061t" VALUES (1)',
  'INSERT INTO "" VALUES (1)',
  'INSERT INTO "unterminated VALUES (1)',
  'WITH x AS (SELECT 1 INSERT INTO ap_t VALUES (1)',
  "UPDATE ap_u SET a = 'unterminated; DELETE FROM ap_v",
  '-- INSERT INTO ap_t VALUES (1)',
  '/* unterminated INSERT INTO ap_t',
  'UPDATE $1 SET a = 1',
];

// MySQL/MariaDB: backticks, "…" strings with backslash escapes, # comments, REPLACE, INSERT IGNORE, names kept as written.
const MYSQL: Row[] = [
  ['INSERT INTO `ap_users` (`name`,`createdAt`) VALUES (?,?);', [['insert', 'ap_users']]],
  ['insert into `test`.`ap_books` (`title`) values (?)', [['insert', 'ap_books']]],
  ['INSERT INTO ap_t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = a + 1', [['insert', 'ap_t']]],
  ['REPLACE INTO ap_t (a) VALUES (1)', [['insert', 'ap_t']]],
  ['REPLACE LOW_PRIORITY ap_t VALUES (1)', [['insert', 'ap_t']]],
  ['INSERT ap_t VALUES (1)', [['insert', 'ap_t']]],
  ['INSERT IGNORE INTO ap_t VALUES (1)', [['insert', 'ap_t']]],
  ['INSERT LOW_PRIORITY IGNORE INTO `ap_t` VALUES (1)', [['insert', 'ap_t']]],
  ['UPDATE LOW_PRIORITY IGNORE ap_t SET a = 1', [['update', 'ap_t']]],
  ['DELETE LOW_PRIORITY QUICK IGNORE FROM ap_t WHERE a = 1', [['delete', 'ap_t']]],
  ['UPDATE `Ap_Mixed` SET a = 1', [['update', 'Ap_Mixed']]],
  ['UPDATE Ap_Mixed SET a = 1', [['update', 'Ap_Mixed']]],
  ['INSERT INTO `we``ird` VALUES (1)', [['insert', 'we`ird']]],
  [`INSERT INTO ${'m'.repeat(70)} VALUES (1)`, [['insert', 'm'.repeat(64)]]],
  [
    "UPDATE ap_a SET s = 'it\\'s; DELETE FROM nope'; DELETE FROM ap_b",
    [
      ['update', 'ap_a'],
      ['delete', 'ap_b'],
    ],
  ],
  [
    'UPDATE ap_a SET s = "a \\" ; DELETE FROM nope"; DELETE FROM ap_b',
    [
      ['update', 'ap_a'],
      ['delete', 'ap_b'],
    ],
  ],
  ["# a comment; DELETE FROM nope\nINSERT INTO ap_t VALUES ('#')", [['insert', 'ap_t']]],
  [
    "/* c */ DELETE FROM ap_t WHERE s = '$$;'; INSERT INTO ap_u VALUES (1)",
    [
      ['delete', 'ap_t'],
      ['insert', 'ap_u'],
    ],
  ],
  ['WITH x AS (SELECT 1 AS a) UPDATE ap_t SET a = 1', [['update', 'ap_t']]],
];
// Captured verbatim from the ORMs over mysql2 in test/apps/db-orm-vendors.js (Sequelize 6.37, TypeORM 1.1, Knex 3.3, Drizzle 0.45).
const MYSQL_CAPTURED: Row[] = [
  ['INSERT INTO `ap_orm_seq_users` (`id`,`name`,`createdAt`,`updatedAt`) VALUES (DEFAULT,?,?,?);', [['insert', 'ap_orm_seq_users']]],
  [
    "INSERT INTO `ap_orm_seq_users` (`id`,`name`,`createdAt`,`updatedAt`) VALUES (NULL,'c','2026-12-02 00:33:42','2026-12-02 00:33:42'),(NULL,'d','2026-12-02 00:33:42','2026-12-02 00:33:42');",
    [['insert', 'ap_orm_seq_users']],
  ],
  ["UPDATE `ap_orm_seq_users` SET `name`=?,`updatedAt`=? WHERE `name` IN ('c', 'd')", [['update', 'ap_orm_seq_users']]],
  ["DELETE FROM `ap_orm_seq_users` WHERE `name` = 'z'", [['delete', 'ap_orm_seq_users']]],
  [
    'INSERT INTO `ap_orm_typeorm_photos`(`id`, `name`) VALUES (DEFAULT, ?), (DEFAULT, ?), (DEFAULT, ?)',
    [['insert', 'ap_orm_typeorm_photos']],
  ],
  ['UPDATE `ap_orm_typeorm_photos` SET `name` = ? WHERE `name` IN (?, ?)', [['update', 'ap_orm_typeorm_photos']]],
  ['insert into `test`.`ap_orm_knex_books` (`title`) values (?), (?), (?)', [['insert', 'ap_orm_knex_books']]],
  ['delete from `test`.`ap_orm_knex_books` where `id` = ?', [['delete', 'ap_orm_knex_books']]],
  ['update `ap_orm_drizzle_pets` set `name` = ? where `ap_orm_drizzle_pets`.`name` in (?, ?)', [['update', 'ap_orm_drizzle_pets']]],
  ['delete from `ap_orm_drizzle_pets` where `ap_orm_drizzle_pets`.`id` = ?', [['delete', 'ap_orm_drizzle_pets']]],
];
const MYSQL_NOTHING: string[] = [
  'SELECT * FROM `ap_t`',
  'UPDATE ap_a, ap_b SET ap_a.x = ap_b.x',
  'DELETE ap_a FROM ap_a JOIN ap_b',
  'INSERT INTO "ap_t" VALUES (1)',
  "UPDATE ap_t SET s = 'unterminated \\'; DELETE FROM ap_v",
  'CREATE TABLE `ap_t` (id int)',
];

// SQLite: "…", `…` and […] identifiers, INSERT OR REPLACE, REPLACE INTO, names kept as written.
const SQLITE: Row[] = [
  ['INSERT INTO `ap_users` (`id`,`name`) VALUES (NULL,$1);', [['insert', 'ap_users']]],
  ['insert into "ap_books" ("title") values (?) returning "id"', [['insert', 'ap_books']]],
  ['INSERT INTO [ap t] VALUES (1)', [['insert', 'ap t']]],
  ['INSERT OR REPLACE INTO ap_t VALUES (1)', [['insert', 'ap_t']]],
  ['INSERT OR IGNORE INTO main.ap_t VALUES (1)', [['insert', 'ap_t']]],
  ['REPLACE INTO ap_t VALUES (1)', [['insert', 'ap_t']]],
  ['UPDATE OR ROLLBACK ap_t SET a = 1', [['update', 'ap_t']]],
  ['UPDATE Ap_Mixed SET a = 1', [['update', 'Ap_Mixed']]],
  ['insert into "ap_t" ("a") values (?) on conflict ("a") do update set "a" = excluded."a"', [['insert', 'ap_t']]],
  [
    "UPDATE ap_a SET s = 'it''s; DELETE FROM nope'; DELETE FROM ap_b",
    [
      ['update', 'ap_a'],
      ['delete', 'ap_b'],
    ],
  ],
  ['DELETE FROM ap_t WHERE a = $a', [['delete', 'ap_t']]],
  // A backslash escapes nothing in SQLite: the string ends at the quote after it.
  [
    "UPDATE ap_t SET s = 'a\\'; DELETE FROM ap_v",
    [
      ['update', 'ap_t'],
      ['delete', 'ap_v'],
    ],
  ],
];
const SQLITE_NOTHING: string[] = [
  'SELECT * FROM ap_t',
  'INSERT INTO [ap_t VALUES (1)',
  "UPDATE ap_t SET s = 'unterminated; DELETE FROM ap_v",
];

describe('db: parseSqlTargets, MySQL and SQLite dialects', () => {
  for (const [dialect, rows, nothing] of [
    ['mysql', [...MYSQL, ...MYSQL_CAPTURED], MYSQL_NOTHING],
    ['sqlite', SQLITE, SQLITE_NOTHING],
  ] as const) {
    for (const [sql, expected] of rows) {
      it(`${dialect}: ${JSON.stringify(sql).slice(0, 90)}`, () => {
        assert.deepEqual(
          parseSqlTargets(sql, dialect).map((t) => [t.operation, t.table]),
          expected,
        );
      });
    }
    for (const sql of nothing) {
      it(`${dialect}: nothing from ${JSON.stringify(sql).slice(0, 80)}`, () => assert.deepEqual(parseSqlTargets(sql, dialect), []));
    }
  }
  it('PostgreSQL keeps its own rules: backticks are not quotes, # is not a comment', () => {
    assert.deepEqual(parseSqlTargets('INSERT INTO `t` VALUES (1)'), []);
    assert.deepEqual(parseSqlTargets('REPLACE INTO t VALUES (1)'), []);
  });
});

describe('db: parseSqlTargets', () => {
  for (const [sql, expected] of [...ORM_SQL, ...CAPTURED, ...SHAPES]) {
    it(`${JSON.stringify(sql).slice(0, 90)}`, () => {
      assert.deepEqual(
        parseSqlTargets(sql).map((t) => [t.operation, t.table]),
        expected,
      );
    });
  }
  for (const sql of NOTHING) {
    it(`nothing from ${JSON.stringify(sql).slice(0, 80)}`, () => {
      assert.deepEqual(parseSqlTargets(sql), []);
    });
  }

  it('parseSqlTarget gives the single target, or undefined for several or none', () => {
    assert.deepEqual(parseSqlTarget('insert into ap_t values (1)'), { operation: 'insert', table: 'ap_t' });
    assert.equal(parseSqlTarget('insert into ap_a values (1); insert into ap_b values (1)'), undefined);
    assert.equal(parseSqlTarget('select 1'), undefined);
  });

  it('the cache returns the same answer, stays bounded and skips long texts', () => {
    const cache = new SqlTargetCache(3);
    for (let i = 0; i < 10; i++) assert.deepEqual(cache.get(`update ap_t${i} set a = 1`), [{ operation: 'update', table: `ap_t${i}` }]);
    assert.ok(cache.size <= 3);
    const long = `insert into ap_big values ('${'x'.repeat(10000)}')`;
    assert.deepEqual(cache.get(long), [{ operation: 'insert', table: 'ap_big' }]);
    assert.ok(cache.size <= 3);
    assert.equal(cache.get('select 1'), cache.get('select 1'));
  });
});
