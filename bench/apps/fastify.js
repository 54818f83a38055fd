'use strict';
// fastify 5 hello-world with one parameterised route.
const Fastify = require('fastify');
const listen = require('./ready');

const app = Fastify();
app.get('/', async (_request, reply) => reply.type('text/plain').send('Hello, World!'));
app.get('/users/:id', async (request, reply) => reply.type('text/plain').send(`Hello, ${request.params.id}!`));
app.ready().then(() => listen(app.server));
