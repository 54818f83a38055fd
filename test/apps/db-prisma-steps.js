// Prisma 7 (its pg driver adapter) against the real PostgreSQL: 2 single creates, 1 createMany of
// 3 rows, 1 update, 1 updateMany, 1 delete, 1 deleteMany of its own table, and one duplicate key. Every statement Prisma
// logs is kept (text only) so tests can compare with what autoprom counted. CommonJS and ES module
// apps pass in the client classes they loaded their own way.
'use strict';

const PG_URL = process.env.AUTOPROM_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

function makePrismaSteps(PrismaClient, PrismaPg) {
  const sqlSeen = [];
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: PG_URL }), log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (e) => sqlSeen.push(e.query));
  return {
    async prisma() {
      await prisma.$executeRawUnsafe('DROP TABLE IF EXISTS ap_orm_prisma_posts');
      await prisma.$executeRawUnsafe('CREATE TABLE ap_orm_prisma_posts (id serial PRIMARY KEY, title text NOT NULL)');
      try {
        const posts = prisma.apPrismaPost;
        const a = await posts.create({ data: { title: 'a' } });
        await posts.create({ data: { title: 'b' } });
        await posts.createMany({ data: [{ title: 'c' }, { title: 'd' }, { title: 'e' }] });
        await posts.update({ where: { id: a.id }, data: { title: 'a2' } });
        await posts.updateMany({ where: { title: { in: ['c', 'd'] } }, data: { title: 'z' } });
        await posts.delete({ where: { id: a.id } });
        await posts.deleteMany({ where: { title: 'z' } });
        return await posts.count();
      } finally {
        await prisma.$executeRawUnsafe('DROP TABLE IF EXISTS ap_orm_prisma_posts');
      }
    },
    /** A create whose primary key exists: PostgreSQL's 23505, which Prisma raises as its P2002. */
    async duplicate() {
      await prisma.$executeRawUnsafe('DROP TABLE IF EXISTS ap_orm_prisma_posts');
      await prisma.$executeRawUnsafe('CREATE TABLE ap_orm_prisma_posts (id serial PRIMARY KEY, title text NOT NULL)');
      try {
        await prisma.apPrismaPost.create({ data: { id: 1, title: 'a' } });
        await prisma.apPrismaPost.create({ data: { id: 1, title: 'b' } });
        return 'no error';
      } catch (err) {
        return { name: err.name, code: err.code };
      } finally {
        await prisma.$executeRawUnsafe('DROP TABLE IF EXISTS ap_orm_prisma_posts');
      }
    },
    /** The SQL texts Prisma logged since the last call. */
    async sql() {
      return sqlSeen.splice(0);
    },
  };
}

module.exports = { makePrismaSteps };
