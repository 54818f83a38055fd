import { errorText, warn } from './log';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Config } from '../config';
import type { Registry } from './registry';

/** What every instrumented area gets when the preload starts it. */
export interface AreaContext {
  readonly config: Config;
  /** autoprom's own pre-bound families (see recorder.ts). */
  readonly registry: Registry;
  /** Servers autoprom itself owns (the metrics endpoint): their requests are never measured. */
  readonly ownServers: Set<object>;
}

/** What an area hands back: instrumentations to register and OpenTelemetry Views for the MeterProvider. */
export interface AreaSetup {
  readonly instrumentations?: readonly Instrumentation[];
  /** Stream configurations (OpenTelemetry Views, built by core/otel-views.ts); not django's `view` label. */
  readonly otelViews?: readonly ViewOptions[];
}

/**
 * Create one instrumentation of an area. A failure (a library that changed, a broken install)
 * is one line naming what stays unmeasured, and never disables the rest of the area.
 */
export function createInstrumentation<T>(what: string, unmeasured: string, create: () => T): T | undefined {
  try {
    return create();
  } catch (err) {
    warn(`could not enable ${what} (${unmeasured}): ${errorText(err)}`);
    return undefined;
  }
}
