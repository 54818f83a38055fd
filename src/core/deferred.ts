/**
 * An instrumentation created after the application's first event-loop turn rather than at
 * startup: for one that hooks no module (OpenTelemetry's runtime-node only starts monitors and
 * observers), so that loading its code does not delay the application's own start, and a
 * process that exits at once (`node -r autoprom/register -e 0`) never loads it.
 */
import type { MeterProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { internalError } from './log';
import { VERSION } from './version';

export function deferredInstrumentation(name: string, create: () => Instrumentation | undefined): Instrumentation {
  const { InstrumentationBase } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  let real: Instrumentation | undefined;
  let meterProvider: MeterProvider | undefined;
  let wanted = true;

  class DeferredInstrumentation extends InstrumentationBase<InstrumentationConfig> {
    constructor() {
      super(name, VERSION, {});
      // unref'd: it never keeps the process alive, and never runs in one that has nothing left to do.
      setImmediate(() => {
        try {
          if (!wanted || real !== undefined) return;
          real = create();
          if (real !== undefined && meterProvider !== undefined) real.setMeterProvider(meterProvider);
        } catch (err) {
          internalError(`starting ${name}`, err);
        }
      }).unref();
    }

    protected override init(): void {}

    override enable(): void {
      super.enable();
      wanted = true;
      real?.enable();
    }

    override disable(): void {
      super.disable();
      wanted = false;
      real?.disable();
    }

    override setMeterProvider(provider: MeterProvider): void {
      super.setMeterProvider(provider);
      meterProvider = provider;
      real?.setMeterProvider(provider);
    }
  }
  return new DeferredInstrumentation();
}
