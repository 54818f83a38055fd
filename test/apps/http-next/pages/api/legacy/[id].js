export default function handler(req, res) {
  if (req.query.id === 'boom') throw new RangeError('legacy boom');
  res.status(200).json({ id: req.query.id });
}
