/** Exact deltas of every django_db_* and django_model_* series between two scrapes, for the per-client SQL suites. */
import { delta, samplesOf, type Exposition } from './exposition';

const FAMILIES = /^django_(db|model)_/;

export interface DbExpect {
  alias?: string;
  connections?: number;
  connectionErrors?: number;
  execute?: number;
  /** Observations in django_db_query_duration_seconds (failures included); default: execute. */
  timed?: number;
  errors?: Record<string, number>;
  inserts?: Record<string, number>;
  updates?: Record<string, number>;
  deletes?: Record<string, number>;
}

/** `name{k=v,…}` with labels sorted. */
export function seriesKey(s: { name: string; labels: Readonly<Record<string, string>> }): string {
  return `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${s.labels[k]}`)
    .join(',')}}`;
}

/** Every db/model sample that moved between two scrapes (buckets, sums and pool gauges left out). */
export function movedDbSeries(before: Exposition, after: Exposition): Record<string, number> {
  const old = new Map(before.samples.filter((s) => FAMILIES.test(s.name)).map((s) => [seriesKey(s), s.value]));
  const out: Record<string, number> = {};
  for (const s of after.samples) {
    if (!FAMILIES.test(s.name) || s.name.endsWith('_bucket') || s.name.endsWith('_sum') || s.name.startsWith('django_db_pool_')) continue;
    const d = s.value - (old.get(seriesKey(s)) ?? 0);
    if (d !== 0) out[seriesKey(s)] = d;
  }
  return out;
}

/** What `e` says must move, as movedDbSeries gives it. */
export function expectedDbSeries(e: DbExpect, vendor: string, defaultAlias: string): Record<string, number> {
  const db = { alias: e.alias ?? defaultAlias, vendor };
  const out: Record<string, number> = {};
  const put = (name: string, labels: Record<string, string>, v: number | undefined) => {
    if (v !== undefined && v !== 0) out[seriesKey({ name, labels })] = v;
  };
  put('django_db_new_connections_total', db, e.connections);
  put('django_db_new_connection_errors_total', db, e.connectionErrors);
  put('django_db_execute_total', db, e.execute);
  put('django_db_query_duration_seconds_count', db, e.timed ?? e.execute);
  for (const [type, n] of Object.entries(e.errors ?? {})) put('django_db_errors_total', { ...db, type }, n);
  for (const [model, n] of Object.entries(e.inserts ?? {})) put('django_model_inserts_total', { model }, n);
  for (const [model, n] of Object.entries(e.updates ?? {})) put('django_model_updates_total', { model }, n);
  for (const [model, n] of Object.entries(e.deletes ?? {})) put('django_model_deletes_total', { model }, n);
  return out;
}

const MODEL_FAMILIES = ['django_model_inserts_total', 'django_model_updates_total', 'django_model_deletes_total'];

/** Model counter deltas of every model that moved, as `family model` → delta (the ORM suites). */
export function modelMoves(before: Exposition, after: Exposition): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of MODEL_FAMILIES) {
    for (const s of samplesOf(after, name)) {
      const d = delta(before, after, name, s.labels);
      if (d !== 0) out[`${name} ${s.labels.model}`] = d;
    }
  }
  return out;
}
