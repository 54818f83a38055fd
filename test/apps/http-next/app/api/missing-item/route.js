import { notFound } from 'next/navigation';

export const dynamic = 'force-dynamic';

// A deliberate 404: not an exception.
export async function GET() {
  notFound();
}
