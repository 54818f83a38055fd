/** What kind of Prometheus family a catalogue row is. */
export type FamilyType = 'counter' | 'gauge' | 'histogram';

/** Which instrumented area a family belongs to (README groups by it). */
export type FamilyArea = 'http' | 'http-client' | 'db' | 'models' | 'migrations' | 'cache' | 'process' | 'runtime';

/** Bucket presets: the latency buckets follow PROMETHEUS_LATENCY_BUCKETS. */
export type BucketSpec = 'latency' | 'pow2' | readonly number[];

/**
 * One metric family as exposed: the single source for OpenTelemetry Views, recorders, README
 * and tests. The name and type parameters keep each row's literals, so that a family name is a
 * type (see `FamilyName` in src/catalogue.ts) and a typo fails to compile.
 */
export interface FamilySpec<N extends string = string, T extends FamilyType = FamilyType> {
  /** Exposed name without namespace, exactly as Prometheus shows it (counters end in `_total`). */
  readonly name: N;
  readonly type: T;
  /** HELP text, verbatim from django-prometheus or prom-client. */
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: BucketSpec;
  readonly area: FamilyArea;
  /** Where the numbers come from, in a phrase (rendered into the README). */
  readonly source: string;
  /** Whether PROMETHEUS_METRIC_NAMESPACE prefixes it (django families yes, process/nodejs no). */
  readonly namespaced: boolean;
  /** Never emitted, documented only (e.g. execute_many for pg). */
  readonly documentedOnly?: boolean;
}
