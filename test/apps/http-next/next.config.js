// A tiny Next.js app (app router and pages router) for the route and exception tests.
module.exports = { poweredByHeader: false };
