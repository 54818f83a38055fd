// The bench route: GET /users/:id answers plain text.
export async function GET(request, { params }) {
  const { id } = await params;
  return new Response(`Hello, ${id}!`, { headers: { 'Content-Type': 'text/plain' } });
}
