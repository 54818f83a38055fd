/**
 * Which collection answers which scrape, in the metrics worker.
 *
 * - A scrape is answered with a collection that the application thread made after the
 *   scrape arrived: whatever happened before a scrape is in its answer.
 * - Scrapes share collections: every scrape that arrives while one is being made waits for
 *   the next, and collections start at most once per `windowMs` (the sharing window). A flood
 *   of scrapes costs the application thread at most one collection per window.
 * - When the application thread has not answered within `deadlineMs` of a scrape's arrival,
 *   the scrape gets the last collection, with the seconds since the unanswered request was
 *   sent (the time the thread is known not to have answered).
 */

/** How a scrape is answered: a collection (undefined: none yet), the seconds the thread has not answered, or an error. */
export type Answer<T> = (collection: T | undefined, blockedSeconds: number, error?: string) => void;

export interface SharedCollectionsOptions {
  /** The sharing window (read each time a collection is due: it may follow what collections cost). */
  readonly windowMs: number | (() => number);
  readonly deadlineMs: number;
  /** Ask the application thread for a collection; `collected` or `failed` follows with the id. */
  readonly requestCollection: (id: number) => void;
  readonly now?: () => number;
}

interface Waiter<T> {
  readonly answer: Answer<T>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Request<T> {
  readonly id: number;
  readonly sentAt: number;
  readonly waiters: Set<Waiter<T>>;
}

export class SharedCollections<T> {
  private latest: T | undefined;
  private inFlight: Request<T> | undefined;
  private queued = new Set<Waiter<T>>();
  private lastSentAt = -Infinity;
  private slot: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private readonly now: () => number;

  constructor(private readonly options: SharedCollectionsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Collections the application thread has made so far (for tests and the bench). */
  requested = 0;

  scrape(answer: Answer<T>): void {
    // Every scrape waits for its own deadline, even while a request is known to be late: the
    // thread may have just recovered, and then this scrape gets the fresh collection.
    const waiter: Waiter<T> = { answer, timer: undefined };
    waiter.timer = setTimeout(() => this.expire(waiter), this.options.deadlineMs);
    this.queued.add(waiter);
    this.schedule();
  }

  collected(id: number, collection: T): void {
    this.latest = collection;
    this.settle(id, (w) => w.answer(collection, 0));
  }

  failed(id: number, error: string): void {
    this.settle(id, (w) => w.answer(undefined, 0, error));
  }

  /** A collection made for another reason (the in-app handler): the newest one to fall back on. */
  offer(collection: T): void {
    this.latest = collection;
  }

  private settle(id: number, answer: (w: Waiter<T>) => void): void {
    const request = this.inFlight;
    if (request === undefined || request.id !== id) return;
    this.inFlight = undefined;
    for (const w of request.waiters) {
      clearTimeout(w.timer);
      answer(w);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.inFlight !== undefined || this.slot !== undefined || this.queued.size === 0) return;
    const window = this.options.windowMs;
    const wait = this.lastSentAt + (typeof window === 'number' ? window : window()) - this.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.slot = setTimeout(() => {
      this.slot = undefined;
      this.send();
    }, wait);
  }

  private send(): void {
    if (this.queued.size === 0) return;
    const request: Request<T> = { id: this.nextId++, sentAt: this.now(), waiters: this.queued };
    this.queued = new Set();
    this.inFlight = request;
    this.lastSentAt = request.sentAt;
    this.requested++;
    this.options.requestCollection(request.id);
  }

  private expire(waiter: Waiter<T>): void {
    const inFlight = this.inFlight;
    const pending = this.queued.delete(waiter) || (inFlight?.waiters.delete(waiter) ?? false);
    if (!pending) return;
    waiter.answer(this.latest, inFlight === undefined ? 0 : seconds(this.now() - inFlight.sentAt));
  }
}

/** Milliseconds as seconds, to the millisecond. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
