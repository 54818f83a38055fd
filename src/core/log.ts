/**
 * autoprom's only voice: one line on stderr, never stdout. Each distinct line is printed
 * once per process, so a fault on a hot path cannot flood the application's logs.
 */
const said = new Set<string>();

/** Distinct lines remembered; past it, further new lines are dropped so memory stays flat. */
const MAX_LINES = 200;

export function warn(line: string): void {
  if (said.has(line)) return;
  if (said.size >= MAX_LINES) return;
  said.add(line);
  if (said.size === MAX_LINES) line = `${line}\nautoprom: ${MAX_LINES} distinct warnings printed; further ones are suppressed`;
  try {
    process.stderr.write(line.startsWith('autoprom:') ? `${line}\n` : `autoprom: ${line}\n`);
  } catch {
    // stderr closed: nothing left to tell.
  }
}

/**
 * Run `fn`, and if it throws, say so once and carry on: monitoring must never hurt the
 * application, so nothing autoprom does on an application's path may throw into it.
 */
export function guarded<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      warn(`internal error in ${what} (metrics may be incomplete): ${(err as Error)?.stack ?? String(err)}`);
    }
  };
}
