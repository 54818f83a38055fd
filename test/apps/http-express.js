// express 4 or 5 (EXPRESS_MODULE=express|express5) with a mounted router, a template
// engine, errors thrown, passed to next() and (express 5) rejected.
const express = require(process.env.EXPRESS_MODULE || 'express');

const app = express();
// Plain middleware that fails for one path: an exception with no route.
app.use((req, res, next) => (req.path === '/guarded' ? next(new EvalError('guard')) : next()));
const api = express.Router();
api.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
api.put('/users/:id', (req, res) => res.json({ updated: req.params.id }));
api.post('/items', express.json(), (req, res) => res.status(201).json({ created: true, name: req.body.name }));
api.get('/empty', (req, res) => res.end());
api.get('/stream', (req, res) => {
  res.write('first ');
  setImmediate(() => res.end('last'));
});
api.get('/latin', (req, res) => {
  res.set('Content-Type', 'text/plain; charset=ISO-8859-1');
  res.send(Buffer.from('caf\xe9', 'latin1'));
});
api.get('/boom', () => {
  throw new TypeError('boom');
});
api.get('/next-error', (req, res, next) => next(new SyntaxError('passed on')));
// A deliberate 4xx: express's final handler answers with the error's status.
api.get('/invalid', (req, res, next) => next(Object.assign(new Error('bad input'), { status: 400 })));
api.get('/reject', async () => {
  throw new RangeError('rejected');
});
api.get('/page', (req, res) => res.render('http-page', { title: 'hello' }));
api.get('/hang', () => {
  // never answers: the client gives up
});
const nested = express.Router();
nested.get('/:name', (req, res) => res.send(`v:${req.params.name}`));
api.use('/nested/:group', nested);
// A plain handler mounted inside a mounted router: both mounts name it.
api.use('/rpc', (req, res) => res.send('rpc'));
app.use('/api', api);
// One router mounted in two places: each request is named by the mount it came through.
const shared = express.Router();
shared.get('/ping/:n', (req, res) => res.send('pong'));
app.use('/a', shared);
app.use('/b', shared);
// Many routes, for the cardinality bound.
for (let i = 0; i < 30; i++) app.get(`/many-${i}`, (req, res) => res.send(String(i)));
// A mounted sub-application: its routes, a router and a sub-application of its own mounted with
// a path, a plain handler mounted with a path, and middleware that answers or throws.
const sub = express();
sub.get('/things/:id', (req, res) => res.send(`thing ${req.params.id}`));
const subRouter = express.Router();
subRouter.get('/things/:id', (req, res) => res.send('deep'));
sub.use('/deep', subRouter);
const inner = express();
inner.get('/x/:id', (req, res) => res.send('inner'));
sub.use('/inner', inner);
sub.use('/rpc', (req, res) => res.send('sub rpc'));
sub.use((req, res, next) => (req.path === '/hello' ? res.send('hello') : next()));
sub.use((req, res, next) => (req.path === '/mw-boom' ? next(new EvalError('sub middleware')) : next()));
app.use('/sub', sub);
// A sub-application mounted in two places.
const twice = express();
twice.get('/x/:id', (req, res) => res.send('twice'));
app.use('/t1', twice);
app.use('/t2', twice);
app.get(/^\/regex\/(\d+)$/, (req, res) => res.send('regex'));
app.get(['/list-a', '/list-b'], (req, res) => res.send('list'));
app.get('/healthz', (req, res) => res.send('ok'));
// Plain middleware mounted with a path that throws (tRPC, Apollo … are mounted this way).
app.use('/mw-error', () => {
  throw new URIError('middleware');
});
// Mounted plain middleware that passes an error on: the error came from inside the mount.
app.use('/mw-next-error', (req, res, next) => next(new ReferenceError('middleware')));
app.use('/mounted', (req, res) => res.send('mounted'));
// An error handler that passes the error on: still one exception per request.
app.use((err, req, res, next) => next(err));

// A tiny engine: no template package needed.
app.engine('tpl', (file, options, callback) => callback(null, `<h1>${options.title}</h1>`));
app.set('views', __dirname);
app.set('view engine', 'tpl');

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `READY ${JSON.stringify({ port: server.address().port, version: require(`${process.env.EXPRESS_MODULE || 'express'}/package.json`).version })}\n`,
  );
});
