// Sequelize, Knex, TypeORM and Drizzle over MySQL (mysql2, real MariaDB) or SQLite (a temporary file:
// better-sqlite3, and sqlite3 for Sequelize), chosen by AUTOPROM_TEST_ORM_DB; each creates, updates and deletes rows of its own
// table. Every statement they log is kept (text only) so tests can show what was parsed.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serveSteps } = require('./db-steps');

const DB = process.env.AUTOPROM_TEST_ORM_DB || 'sqlite';
const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };
const SQLITE_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'autoprom-orm-')), 'ap_orm.db');
const sqlSeen = [];
const logSql = (sql) => sqlSeen.push(typeof sql === 'string' ? sql : String(sql));

/** Each ORM does: 2 single inserts, 1 insert of 3 rows, 1 update of a loaded row, 1 bulk update, 1 delete of a loaded row, 1 bulk delete. */
const steps = {
  async sequelize() {
    const { Sequelize, DataTypes, Op } = require('sequelize');
    const logging = (sql) => logSql(sql.replace(/^Executing \([^)]*\): /, ''));
    // SQLite: Sequelize's dialect runs on the `sqlite3` package, installed in test/peers/sqlite3 (SQLITE3_DIR).
    const sequelize =
      DB === 'mysql'
        ? new Sequelize(MYSQL.database, MYSQL.user, MYSQL.password, { host: MYSQL.host, port: MYSQL.port, dialect: 'mysql', logging })
        : new Sequelize({
            dialect: 'sqlite',
            storage: SQLITE_FILE,
            dialectModule: require(path.join(process.env.SQLITE3_DIR, 'node_modules', 'sqlite3')),
            logging,
          });
    const User = sequelize.define('ApOrmSeqUser', { name: DataTypes.STRING }, { tableName: 'ap_orm_seq_users' });
    try {
      await User.sync({ force: true });
      const a = await User.create({ name: 'a' });
      await User.create({ name: 'b' });
      await User.bulkCreate([{ name: 'c' }, { name: 'd' }, { name: 'e' }]);
      a.name = 'a2';
      await a.save();
      await User.update({ name: 'z' }, { where: { name: { [Op.in]: ['c', 'd'] } } });
      await a.destroy();
      await User.destroy({ where: { name: 'z' } });
      return await User.count();
    } finally {
      await User.drop();
      await sequelize.close();
    }
  },

  async typeorm() {
    const { DataSource, EntitySchema, In } = require('typeorm');
    const Photo = new EntitySchema({
      name: 'ApOrmPhoto',
      tableName: 'ap_orm_typeorm_photos',
      columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
    });
    const connection =
      DB === 'mysql' ? { type: 'mysql', ...MYSQL, username: MYSQL.user } : { type: 'better-sqlite3', database: SQLITE_FILE };
    delete connection.user;
    const ds = new DataSource({
      ...connection,
      entities: [Photo],
      synchronize: false,
      logging: ['query'],
      logger: { logQuery: (q) => logSql(q), logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {} },
    });
    await ds.initialize();
    try {
      await ds.query('DROP TABLE IF EXISTS ap_orm_typeorm_photos');
      await ds.query(
        DB === 'mysql'
          ? 'CREATE TABLE ap_orm_typeorm_photos (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50) NOT NULL)'
          : 'CREATE TABLE ap_orm_typeorm_photos (id INTEGER PRIMARY KEY AUTOINCREMENT, name varchar NOT NULL)',
      );
      const repo = ds.getRepository(Photo);
      const a = await repo.save({ name: 'a' });
      await repo.save({ name: 'b' });
      await repo.insert([{ name: 'c' }, { name: 'd' }, { name: 'e' }]);
      a.name = 'a2';
      await repo.save(a);
      await repo.update({ name: In(['c', 'd']) }, { name: 'z' });
      await repo.remove(a);
      await repo.delete({ name: 'z' });
      return await repo.count();
    } finally {
      await ds.query('DROP TABLE IF EXISTS ap_orm_typeorm_photos');
      await ds.destroy();
    }
  },

  async knex() {
    const knex = require('knex')(
      DB === 'mysql'
        ? { client: 'mysql2', connection: MYSQL, pool: { min: 0, max: 2 } }
        : { client: 'better-sqlite3', connection: { filename: SQLITE_FILE }, useNullAsDefault: true },
    );
    knex.on('query', (q) => logSql(q.sql));
    // MySQL: schema-qualified by the database (`test`.`ap_orm_knex_books`).
    const t = () => (DB === 'mysql' ? knex('ap_orm_knex_books').withSchema('test') : knex('ap_orm_knex_books'));
    try {
      await knex.schema.dropTableIfExists('ap_orm_knex_books');
      await knex.schema.createTable('ap_orm_knex_books', (b) => {
        b.increments('id');
        b.string('title');
      });
      const [id] = await t().insert({ title: 'a' });
      await t().insert({ title: 'b' });
      await t().insert([{ title: 'c' }, { title: 'd' }, { title: 'e' }]);
      await t().where({ id }).update({ title: 'a2' });
      await t().whereIn('title', ['c', 'd']).update({ title: 'z' });
      await t().where({ id }).del();
      await t().where({ title: 'z' }).del();
      return Number((await t().count({ n: '*' }))[0].n);
    } finally {
      await knex.schema.dropTableIfExists('ap_orm_knex_books');
      await knex.destroy();
    }
  },

  async drizzle() {
    const { eq, inArray, sql } = require('drizzle-orm');
    let db;
    let pets;
    let close;
    if (DB === 'mysql') {
      const mysql = require('mysql2/promise');
      const { drizzle } = require('drizzle-orm/mysql2');
      const { mysqlTable, serial, text } = require('drizzle-orm/mysql-core');
      const pool = mysql.createPool(MYSQL);
      db = drizzle(pool, { logger: { logQuery: (q) => logSql(q) } });
      pets = mysqlTable('ap_orm_drizzle_pets', { id: serial('id').primaryKey(), name: text('name') });
      close = () => pool.end();
    } else {
      const Database = require('better-sqlite3');
      const { drizzle } = require('drizzle-orm/better-sqlite3');
      const { sqliteTable, integer, text } = require('drizzle-orm/sqlite-core');
      const file = new Database(SQLITE_FILE);
      db = drizzle(file, { logger: { logQuery: (q) => logSql(q) } });
      pets = sqliteTable('ap_orm_drizzle_pets', { id: integer('id').primaryKey({ autoIncrement: true }), name: text('name') });
      close = () => file.close();
    }
    const run = (q) => (DB === 'mysql' ? db.execute(q) : db.run(q));
    try {
      await run(sql`DROP TABLE IF EXISTS ap_orm_drizzle_pets`);
      await run(
        DB === 'mysql'
          ? sql`CREATE TABLE ap_orm_drizzle_pets (id serial PRIMARY KEY, name text)`
          : sql`CREATE TABLE ap_orm_drizzle_pets (id INTEGER PRIMARY KEY AUTOINCREMENT, name text)`,
      );
      await db.insert(pets).values({ name: 'a' });
      await db.insert(pets).values({ name: 'b' });
      await db.insert(pets).values([{ name: 'c' }, { name: 'd' }, { name: 'e' }]);
      const [a] = await db.select().from(pets).where(eq(pets.name, 'a'));
      await db.update(pets).set({ name: 'a2' }).where(eq(pets.id, a.id));
      await db
        .update(pets)
        .set({ name: 'z' })
        .where(inArray(pets.name, ['c', 'd']));
      await db.delete(pets).where(eq(pets.id, a.id));
      await db.delete(pets).where(eq(pets.name, 'z'));
      return (await db.select().from(pets)).length;
    } finally {
      await run(sql`DROP TABLE IF EXISTS ap_orm_drizzle_pets`);
      await close();
    }
  },

  /** The SQL texts the ORMs logged since the last call. */
  async sql() {
    return sqlSeen.splice(0);
  },
};

serveSteps(steps);
