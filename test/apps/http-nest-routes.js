// The NestJS app of the route tests (plain JavaScript: decorators applied by hand), shared by
// the CommonJS and ES module entry points: a global prefix, a RouterModule path, HttpExceptions
// 4xx and 5xx, a thrown TypeError and a rejected promise.
module.exports = function buildModule(common, core) {
  const { Module, Controller, Get, Put, Post, Param, Body, Catch, UseFilters, ForbiddenException, InternalServerErrorException } = common;
  const { RouterModule } = core;

  /** Apply method decorators to `cls.prototype[name]` and parameter decorators by position. */
  function handler(cls, name, decorators, params = []) {
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
    params.forEach((decorate, index) => decorate(cls.prototype, name, index));
    for (const decorate of decorators) decorate(cls.prototype, name, descriptor);
  }

  class UsersController {
    findOne(id) {
      return { id };
    }
    update(id) {
      return { updated: id };
    }
  }
  handler(UsersController, 'findOne', [Get(':id')], [Param('id')]);
  handler(UsersController, 'update', [Put(':id')], [Param('id')]);
  Controller('users')(UsersController);

  class ItemsController {
    create(body) {
      return { created: true, name: body.name };
    }
  }
  handler(ItemsController, 'create', [Post()], [Body()]);
  Controller('items')(ItemsController);

  // An exception filter of the app's own that answers its error itself (no super.catch).
  class PaymentError extends Error {}
  class PaymentFilter {
    catch(exception, host) {
      host.switchToHttp().getResponse().status(502).send({ message: 'payment provider down' });
    }
  }
  Catch(PaymentError)(PaymentFilter);

  class ErrorsController {
    payment() {
      throw new PaymentError('declined upstream');
    }
    boom() {
      throw new TypeError('boom');
    }
    async reject() {
      throw new RangeError('rejected');
    }
    forbidden() {
      throw new ForbiddenException('no');
    }
    server() {
      throw new InternalServerErrorException('down');
    }
  }
  for (const name of ['boom', 'reject', 'forbidden', 'server']) handler(ErrorsController, name, [Get(name)]);
  handler(ErrorsController, 'payment', [Get('payment'), UseFilters(new PaymentFilter())]);
  Controller('errors')(ErrorsController);

  class StatsController {
    day(day) {
      return { day };
    }
  }
  handler(StatsController, 'day', [Get(':day')], [Param('day')]);
  Controller('stats')(StatsController);

  class AdminModule {}
  Module({ controllers: [StatsController] })(AdminModule);

  class AppModule {}
  Module({
    imports: [AdminModule, RouterModule.register([{ path: 'admin', module: AdminModule }])],
    controllers: [UsersController, ItemsController, ErrorsController],
  })(AppModule);
  return AppModule;
};
