// Prisma 7 reads its datasource URL from here (the migrate commands need it, generate does not).
export default { schema: 'prisma/schema.prisma', datasource: { url: process.env.DATABASE_URL } };
