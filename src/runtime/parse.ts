/**
 * Pure helpers that turn what the OS and Node report into prom-client's numbers and labels.
 * Each mirrors the prom-client 15 code it is named after, so dashboards read the same values.
 */

/** Memory figures of /proc/self/status, in bytes (osMemoryHeapLinux.js). */
export interface ProcStatusMemory {
  /** VmRSS: process_resident_memory_bytes */
  readonly residentBytes?: number;
  /** VmSize: process_virtual_memory_bytes */
  readonly virtualBytes?: number;
  /** VmData: process_heap_bytes */
  readonly heapBytes?: number;
}

const STATUS_FIELDS: ReadonlyArray<readonly [string, keyof ProcStatusMemory]> = [
  ['VmRSS', 'residentBytes'],
  ['VmSize', 'virtualBytes'],
  ['VmData', 'heapBytes'],
];

/** VmRSS, VmSize and VmData of a /proc/<pid>/status text (values are in kB there). */
export function parseProcStatus(text: string): ProcStatusMemory {
  const out: { -readonly [K in keyof ProcStatusMemory]: number } = {};
  for (const line of text.split('\n')) {
    for (const [field, key] of STATUS_FIELDS) {
      if (!line.startsWith(`${field}:`)) continue;
      const m = /^\s*(\d+)\s*kB\s*$/i.exec(line.slice(field.length + 1));
      if (m !== null) out[key] = Number(m[1]) * 1024;
    }
  }
  return out;
}

/** The soft "Max open files" limit of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function parseMaxOpenFiles(text: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    // Columns are separated by two or more spaces: name, soft limit, hard limit, units.
    const soft = line.split(/ {2,}/)[1];
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
  }
  return undefined;
}

/**
 * prom-client's `space` label: the V8 space name up to `_space` (`new_space` -> `new`,
 * `new_large_object_space` -> `new_large_object`). A name without `_space` is kept whole.
 */
export function heapSpaceLabel(spaceName: string): string {
  const i = spaceName.indexOf('_space');
  return i === -1 ? spaceName : spaceName.slice(0, i);
}

/** Labels of nodejs_version_info for a `process.version` string such as `v24.21.0`. */
export function versionLabels(version: string): { version: string; major: string; minor: string; patch: string } {
  const [major = '', minor = '', patch = ''] = version
    .replace(/^v/, '')
    .split('.')
    .map((s) => /^\d+/.exec(s)?.[0] ?? s);
  return { version, major, minor, patch };
}

/** process_start_time_seconds: whole seconds since the epoch, as prom-client rounds it. */
export function startTimeSeconds(nowMs: number, uptimeSeconds: number): number {
  return Math.round(nowMs / 1000 - uptimeSeconds);
}

/**
 * Counts by name for a gauge with a `type` label. Names seen before and now absent read 0
 * (OpenTelemetry keeps reporting the last value of a series that is no longer observed;
 * prom-client drops it; 0 is what a dashboard summing by type must see).
 */
export function countByType(names: Iterable<string>, known: Set<string>, limit: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of known) counts.set(k, 0);
  for (const name of names) {
    const c = counts.get(name);
    if (c !== undefined) {
      counts.set(name, c + 1);
      continue;
    }
    counts.set(name, 1);
    // Past the limit a new name is still counted while present, but not remembered.
    if (known.size < limit) known.add(name);
  }
  return counts;
}

/** The constructor names of libuv handles or requests, as prom-client's aggregateByObjectName reads them. */
export function constructorNames(objects: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o === null || o === undefined) continue;
    const ctor = (o as { constructor?: { name?: unknown } }).constructor;
    if (ctor === undefined || typeof ctor.name !== 'string') continue;
    out.push(ctor.name);
  }
  return out;
}
