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

/** An error as text: its stack when asked (internal faults), else its message. */
export function errorText(err: unknown, withStack = false): string {
  const e = err as { stack?: unknown; message?: unknown } | null | undefined;
  const text = withStack ? e?.stack : e?.message;
  return typeof text === 'string' ? text : String(err);
}

/**
 * A fault inside autoprom on a measured path (a bug, or a library that changed under us):
 * said once, with its stack, and what it costs. The application is never told.
 */
export function internalError(what: string, err: unknown, consequence = 'metrics may be incomplete'): void {
  warn(`internal error in ${what} (${consequence}): ${errorText(err, true)}`);
}

/** A module autoprom could not instrument, and what stays unmeasured because of it. */
export function couldNotInstrument(what: string, unmeasured: string, err: unknown): void {
  warn(`could not instrument ${what} (${unmeasured}): ${errorText(err)}`);
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
      internalError(what, err);
    }
  };
}
