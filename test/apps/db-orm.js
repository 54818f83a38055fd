// Four ORMs against the real PostgreSQL, each creating, updating and deleting rows of its own
// table; every statement they send is logged (text only) so that tests can show what was parsed.
'use strict';
const { serveSteps } = require('./db-steps');

const PG_URL = process.env.AUTOPROM_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const sqlSeen = [];
const logSql = (sql) => sqlSeen.push(typeof sql === 'string' ? sql : String(sql));

/** Each ORM does: 2 single inserts, 1 insert of 3 rows, 1 update of a loaded row, 1 bulk update, 1 delete of a loaded row, 1 bulk delete. */
const steps = {
  async sequelize() {
    const { Sequelize, DataTypes, Op } = require('sequelize');
    const sequelize = new Sequelize(PG_URL, { logging: (sql) => logSql(sql.replace(/^Executing \([^)]*\): /, '')) });
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
    const ds = new DataSource({
      type: 'postgres',
      url: PG_URL,
      entities: [Photo],
      synchronize: false,
      logging: ['query'],
      logger: { logQuery: (q) => logSql(q), logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {} },
    });
    await ds.initialize();
    try {
      await ds.query('DROP TABLE IF EXISTS ap_orm_typeorm_photos');
      await ds.query('CREATE TABLE ap_orm_typeorm_photos (id serial PRIMARY KEY, name varchar NOT NULL)');
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
    const knex = require('knex')({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 2 } });
    knex.on('query', (q) => logSql(q.sql));
    const t = () => knex('ap_orm_knex_books').withSchema('ap_orm_schema');
    try {
      await knex.raw('CREATE SCHEMA IF NOT EXISTS ap_orm_schema');
      await knex.schema.withSchema('ap_orm_schema').dropTableIfExists('ap_orm_knex_books');
      await knex.schema.withSchema('ap_orm_schema').createTable('ap_orm_knex_books', (b) => {
        b.increments('id');
        b.string('title');
      });
      const [a] = await t().insert({ title: 'a' }).returning('id');
      await t().insert({ title: 'b' });
      await t().insert([{ title: 'c' }, { title: 'd' }, { title: 'e' }]);
      await t().where({ id: a.id }).update({ title: 'a2' });
      await t().whereIn('title', ['c', 'd']).update({ title: 'z' });
      await t().where({ id: a.id }).del();
      await t().where({ title: 'z' }).del();
      return Number((await t().count({ n: '*' }))[0].n);
    } finally {
      await knex.raw('DROP SCHEMA IF EXISTS ap_orm_schema CASCADE');
      await knex.destroy();
    }
  },

  async drizzle() {
    const pg = require('pg');
    const { drizzle } = require('drizzle-orm/node-postgres');
    const { pgTable, serial, text } = require('drizzle-orm/pg-core');
    const { eq, inArray, sql } = require('drizzle-orm');
    const pool = new pg.Pool({ connectionString: PG_URL });
    const db = drizzle(pool, { logger: { logQuery: (q) => logSql(q) } });
    const pets = pgTable('ap_orm_drizzle_pets', { id: serial('id').primaryKey(), name: text('name') });
    try {
      await db.execute(sql`DROP TABLE IF EXISTS ap_orm_drizzle_pets`);
      await db.execute(sql`CREATE TABLE ap_orm_drizzle_pets (id serial PRIMARY KEY, name text)`);
      const [a] = await db.insert(pets).values({ name: 'a' }).returning();
      await db.insert(pets).values({ name: 'b' });
      await db.insert(pets).values([{ name: 'c' }, { name: 'd' }, { name: 'e' }]);
      await db.update(pets).set({ name: 'a2' }).where(eq(pets.id, a.id));
      await db
        .update(pets)
        .set({ name: 'z' })
        .where(inArray(pets.name, ['c', 'd']));
      await db.delete(pets).where(eq(pets.id, a.id));
      await db.delete(pets).where(eq(pets.name, 'z'));
      return (await db.select().from(pets)).length;
    } finally {
      await db.execute(sql`DROP TABLE IF EXISTS ap_orm_drizzle_pets`);
      await pool.end();
    }
  },

  /** The SQL texts the ORMs logged since the last call. */
  async sql() {
    return sqlSeen.splice(0);
  },
};

serveSteps(steps);
