// The Next.js bench app: one route handler, built by bench/run.js before its rows run.
module.exports = { poweredByHeader: false };
