/** Parse Prometheus text exposition into samples, for exact-value assertions. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly text: string;
  readonly samples: readonly Sample[];
  /** family name -> { help, type } */
  readonly meta: ReadonlyMap<string, { help?: string; type?: string }>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;

function parseLabels(body: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (body === undefined || body === '') return labels;
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const meta = new Map<string, { help?: string; type?: string }>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = rest.slice(0, sp);
      meta.set(name, { ...meta.get(name), help: rest.slice(sp + 1) });
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      meta.set(name, { ...meta.get(name), type });
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`unparseable exposition line: ${line}`);
    samples.push({ name: m[1], labels: parseLabels(m[3]), value: parseValue(m[4]) });
  }
  return { text, samples, meta };
}

function matches(sample: Sample, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (sample.name !== name) return false;
  const want = Object.keys(labels);
  if (want.length !== Object.keys(sample.labels).length) return false;
  for (const k of want) if (sample.labels[k] !== labels[k]) return false;
  return true;
}

/** The value of the sample with exactly these labels, or 0 when it is absent. */
export function valueOf(e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  const s = e.samples.find((x) => matches(x, name, labels));
  return s === undefined ? 0 : s.value;
}

/** How much a sample moved between two scrapes. */
export function delta(before: Exposition, after: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return valueOf(after, name, labels) - valueOf(before, name, labels);
}

/** Every sample of a name (any labels). */
export function samplesOf(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}
