// For test apps that read their own metrics endpoint over HTTP: the exposition text, once the
// endpoint listens (its worker takes the port on the first turn of the event loop, so a request
// made at start-up is retried on a refused connection, for at most 5 s).
'use strict';
const http = require('node:http');

function ownMetrics(get = http.get, deadline = Date.now() + 5000) {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${process.env.PROMETHEUS_METRICS_EXPORT_PORT}/metrics`, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    }).on('error', (err) => {
      if (err.code !== 'ECONNREFUSED' || Date.now() > deadline) return reject(err);
      setTimeout(() => ownMetrics(get, deadline).then(resolve, reject), 20);
    });
  });
}

module.exports = { ownMetrics };
