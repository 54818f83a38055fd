// The app's own metrics: every prom-client type, labels that need escaping, and a second client.
exports.defineMetrics = function defineMetrics(promClient, ioClient) {
  const orders = new promClient.Counter({ name: 'shop_orders_total', help: 'Orders placed.', labelNames: ['kind'] });
  const queue = new promClient.Gauge({ name: 'shop_queue_depth', help: 'Jobs waiting.\nPer queue.' });
  const latency = new promClient.Histogram({
    name: 'shop_checkout_seconds',
    help: 'Checkout time.',
    labelNames: ['step'],
    buckets: [0.005, 0.1, 1],
  });
  const sizes = new promClient.Summary({ name: 'shop_basket_items', help: 'Items per basket.', percentiles: [0.5, 0.9] });
  const legacy = new promClient.Counter({ name: 'shop_legacy_events', help: 'A counter without _total.' });
  const io = new ioClient.Counter({ name: 'shop_io_client_total', help: 'From @prometheus-io/client.' });
  return {
    work() {
      orders.inc({ kind: 'web "quoted" \\ back' });
      orders.inc({ kind: 'app' }, 2);
      queue.set(7);
      latency.observe({ step: 'pay' }, 0.05);
      latency.observe({ step: 'pay' }, 2);
      sizes.observe(3);
      sizes.observe(5);
      legacy.inc();
      io.inc(4);
    },
  };
};
