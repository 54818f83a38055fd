// The express app as an ES module, for the --import preload (EXPRESS_MODULE=express|express5).
const { default: express } = await import(process.env.EXPRESS_MODULE || 'express');

const app = express();
const api = express.Router();
api.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
api.get('/boom', () => {
  throw new TypeError('boom');
});
api.get('/page', (req, res) => res.render('http-page', { title: 'hello' }));
app.use('/api', api);
app.engine('tpl', (file, options, callback) => callback(null, `<h1>${options.title}</h1>`));
app.set('views', new URL('.', import.meta.url).pathname);
app.set('view engine', 'tpl');

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port })}\n`);
});
