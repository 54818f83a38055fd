// Works for a little over a second (long enough for two OTLP export intervals of 500 ms), then
// ends: under the preload it must still exit by itself, whatever the collector does.
setTimeout(() => process.stdout.write('done\n'), 1200);
