import type { AreaContext, AreaSetup } from '../core/area';

/** django_db_* and django_model_* from pg and pg-pool. */
export function setupPg(_ctx: AreaContext): AreaSetup {
  return {};
}
