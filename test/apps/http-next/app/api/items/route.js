export async function POST(request) {
  const body = await request.json();
  return Response.json({ created: true, name: body.name }, { status: 201 });
}
