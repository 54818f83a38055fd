// Errors thrown in express handlers in development mode (NODE_ENV unset): express's final
// handler answers each with the error's stack, which the stack test compares with and without
// autoprom. Routes at the top, in a router mounted once, in a nested router mounted with a
// parameter, in a sub-application, and one plain handler mounted with a path.
module.exports = function buildApp(express) {
  const app = express();
  app.get('/boom', () => {
    throw new TypeError('top-level route');
  });
  app.get('/next-error', (req, res, next) => next(new SyntaxError('passed on')));
  const api = express.Router();
  api.get('/boom', () => {
    throw new TypeError('router route');
  });
  const nested = express.Router({ mergeParams: true });
  nested.get('/boom', () => {
    throw new RangeError('nested router route');
  });
  api.use('/groups/:group', nested);
  app.use('/api', api);
  const sub = express();
  sub.get('/boom', () => {
    throw new EvalError('sub-application route');
  });
  app.use('/sub', sub);
  app.use('/trpc', () => {
    throw new URIError('mounted handler');
  });
  // An error handler that creates an error of its own.
  app.get('/wrapped', () => {
    throw new Error('inner');
  });
  app.use((err, req, res, next) => next(req.path === '/wrapped' ? new ReferenceError(`wrapped: ${err.message}`) : err));
  return app;
};
