/** Pure helpers behind the process_* and nodejs_* families, table-driven. */
import { strict as assert } from 'node:assert';
import {
  constructorNames,
  countByType,
  heapSpaceLabel,
  parseMaxOpenFiles,
  parseProcStatus,
  startTimeSeconds,
  versionLabels,
} from '../src/runtime/parse';
import { gcKindProcessor, heapSpaceProcessor, runtimeOtelViews as runtimeViews, RUNTIME_NODE_METER } from '../src/runtime/otel-views';
import { AggregationType } from '@opentelemetry/sdk-metrics';

const STATUS = `Name:\tnode
Umask:\t0022
State:\tS (sleeping)
VmPeak:\t 1532416 kB
VmSize:\t 1453248 kB
VmLck:\t       0 kB
VmHWM:\t   71000 kB
VmRSS:\t   69288 kB
RssAnon:\t   30000 kB
VmData:\t  588752 kB
VmStk:\t     132 kB
Threads:\t11
`;

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                1048576              files
Max locked memory         8388608              8388608              bytes
`;

describe('runtime: pure helpers', () => {
  it('parseProcStatus reads VmRSS, VmSize and VmData in bytes, and nothing else', () => {
    const cases: Array<[string, ReturnType<typeof parseProcStatus>]> = [
      [STATUS, { residentBytes: 69288 * 1024, virtualBytes: 1453248 * 1024, heapBytes: 588752 * 1024 }],
      ['VmRSS:\t 4 kB\n', { residentBytes: 4096 }],
      ['VmRSSX:\t 4 kB\nVmHWM: 9 kB\n', {}],
      ['VmRSS:\t garbage\n', {}],
      ['', {}],
    ];
    for (const [text, want] of cases) assert.deepEqual(parseProcStatus(text), want, JSON.stringify(text));
  });

  it('parseMaxOpenFiles reads the soft limit', () => {
    const cases: Array<[string, number | undefined]> = [
      [LIMITS, 20000],
      ['Max open files            unlimited            unlimited            files\n', undefined],
      ['Max cpu time              unlimited            unlimited            seconds\n', undefined],
      ['', undefined],
    ];
    for (const [text, want] of cases) assert.equal(parseMaxOpenFiles(text), want, JSON.stringify(text));
  });

  it('heapSpaceLabel strips `_space` and what follows, as prom-client does', () => {
    const cases: Array<[string, string]> = [
      ['new_space', 'new'],
      ['old_space', 'old'],
      ['code_space', 'code'],
      ['read_only_space', 'read_only'],
      ['new_large_object_space', 'new_large_object'],
      ['shared_trusted_large_object_space', 'shared_trusted_large_object'],
      ['mystery', 'mystery'],
    ];
    for (const [name, want] of cases) assert.equal(heapSpaceLabel(name), want, name);
  });

  it('versionLabels splits process.version', () => {
    const cases: Array<[string, ReturnType<typeof versionLabels>]> = [
      ['v24.21.0', { version: 'v24.21.0', major: '24', minor: '21', patch: '0' }],
      ['v22.15.1', { version: 'v22.15.1', major: '22', minor: '15', patch: '1' }],
      ['v25.0.0-pre', { version: 'v25.0.0-pre', major: '25', minor: '0', patch: '0' }],
    ];
    for (const [v, want] of cases) assert.deepEqual(versionLabels(v), want, v);
  });

  it('startTimeSeconds rounds to whole seconds', () => {
    assert.equal(startTimeSeconds(1_700_000_010_400, 10), 1_700_000_000);
    assert.equal(startTimeSeconds(1_700_000_010_600, 10), 1_700_000_001);
    assert.equal(startTimeSeconds(1_700_000_010_000, 9.75), 1_700_000_000);
  });

  it('countByType counts, reports vanished types as 0, and remembers at most `limit` types', () => {
    const known = new Set<string>();
    assert.deepEqual(
      [...countByType(['A', 'B', 'A'], known, 10)],
      [
        ['A', 2],
        ['B', 1],
      ],
    );
    assert.deepEqual(
      [...countByType(['B'], known, 10)],
      [
        ['A', 0],
        ['B', 1],
      ],
    );
    assert.deepEqual(
      [...countByType([], known, 10)],
      [
        ['A', 0],
        ['B', 0],
      ],
    );
    const small = new Set<string>();
    assert.deepEqual(
      [...countByType(['A', 'B', 'C'], small, 2)],
      [
        ['A', 1],
        ['B', 1],
        ['C', 1],
      ],
    );
    assert.deepEqual([...small], ['A', 'B']);
    assert.deepEqual(
      [...countByType([], small, 2)],
      [
        ['A', 0],
        ['B', 0],
      ],
    );
  });

  it('constructorNames skips entries without a constructor name', () => {
    class Socket {}
    const bare = Object.create(null) as object;
    assert.deepEqual(constructorNames([new Socket(), null, undefined, bare, new Socket()]), ['Socket', 'Socket']);
  });

  it('attribute processors map OpenTelemetry attributes to prom-client labels and drop the rest', () => {
    const cases: Array<[typeof gcKindProcessor, Record<string, string>, Record<string, string>]> = [
      [gcKindProcessor, { 'v8js.gc.type': 'major' }, { kind: 'major' }],
      [gcKindProcessor, { 'v8js.gc.type': 'minor', other: 'x' }, { kind: 'minor' }],
      [gcKindProcessor, {}, {}],
      [heapSpaceProcessor, { 'v8js.heap.space.name': 'new_space' }, { space: 'new' }],
      [heapSpaceProcessor, { 'v8js.heap.space.name': 'large_object_space', other: 'x' }, { space: 'large_object' }],
    ];
    for (const [p, input, want] of cases) assert.deepEqual(p.process(input), want, JSON.stringify(input));
  });

  it('runtimeViews scopes every runtime-node View by its meter and gives the GC histogram prom-client buckets', () => {
    const views = runtimeViews({ namespace: 'myapp', cardinalityLimit: 123, latencyBuckets: [1, 2] });
    const drop = views.find((v) => v.aggregation?.type === AggregationType.DROP);
    assert.deepEqual(drop, { meterName: RUNTIME_NODE_METER, instrumentName: '*', aggregation: { type: AggregationType.DROP } });
    const gc = views.find((v) => v.name === 'nodejs_gc_duration_seconds');
    assert.ok(gc !== undefined, 'gc view');
    assert.equal(gc.meterName, RUNTIME_NODE_METER);
    assert.deepEqual(gc.aggregation, {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [0.001, 0.01, 0.1, 1, 2, 5], recordMinMax: false },
    });
    // process_* and nodejs_* are never namespaced, and every stream is bounded.
    for (const v of views) {
      assert.ok(v.meterName !== undefined, `unscoped view ${JSON.stringify(v)}`);
      if (v.name !== undefined) assert.match(v.name, /^nodejs_/);
      if (v.aggregation?.type !== AggregationType.DROP) assert.equal(v.aggregationCardinalityLimit, 123);
    }
  });
});
