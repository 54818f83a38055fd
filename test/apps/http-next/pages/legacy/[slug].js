export async function getServerSideProps({ params }) {
  if (params.slug === 'boom') throw new SyntaxError('legacy page boom');
  return { props: { slug: params.slug } };
}

export default function Legacy({ slug }) {
  return <p>legacy {slug}</p>;
}
