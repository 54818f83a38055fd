/**
 * The running autoprom instance of this process. The preload sets it once; the public API
 * (`src/api.ts`) reads it. Nothing here imports an area or the preload, so any layer may use it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config';
import type { Registry } from './registry';

/** What the public API needs of a running instance. */
export interface RunningInstance {
  readonly config: Config;
  readonly registry: Registry;
  /** Answers a scrape with the exposition; undefined when the Prometheus exporter is off. */
  readonly handleScrape: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** The exposition text as a scrape would see it now (testutils); undefined when the Prometheus exporter is off. */
  readonly renderExposition?: () => Promise<string>;
}

let running: RunningInstance | undefined;

/** The running instance, once the preload (or `start`) has started one. */
export function runningInstance(): RunningInstance | undefined {
  return running;
}

/** Called once by the preload when autoprom has started. */
export function setRunningInstance(instance: RunningInstance): void {
  running = instance;
}
