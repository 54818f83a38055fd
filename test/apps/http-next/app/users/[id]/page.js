export const dynamic = 'force-dynamic';

export default async function UserPage({ params }) {
  const { id } = await params;
  if (id === 'boom') throw new EvalError('page boom');
  return <h1>user {id}</h1>;
}
