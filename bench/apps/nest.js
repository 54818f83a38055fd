'use strict';
// NestJS 12 (express adapter) hello-world with one parameterised route; decorators applied by hand.
require('reflect-metadata');
const { Controller, Get, Header, Module, Param } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const listen = require('./ready');

class UsersController {
  hello(id) {
    return `Hello, ${id}!`;
  }
}
const proto = UsersController.prototype;
Param('id')(proto, 'hello', 0);
for (const decorate of [Get(':id'), Header('Content-Type', 'text/plain')])
  decorate(proto, 'hello', Object.getOwnPropertyDescriptor(proto, 'hello'));
Controller('users')(UsersController);
class AppModule {}
Module({ controllers: [UsersController] })(AppModule);

NestFactory.create(AppModule, { logger: false })
  .then((app) => app.init())
  .then((app) => listen(app.getHttpServer()));
