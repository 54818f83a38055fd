import type { AreaContext, AreaSetup } from '../core/area';

/** process_* and nodejs_* under prom-client's names. */
export function setupRuntime(_ctx: AreaContext): AreaSetup {
  return {};
}
