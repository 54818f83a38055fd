/**
 * django_model_* for stores that do not speak SQL through pg (another driver, an HTTP API,
 * a document store): one call per model operation, as django counts one per save()/delete().
 */
import { internalError, warn } from '../core/log';
import type { Registry } from '../core/registry';
import { MODEL_COUNTERS } from './sql-client';
import type { SqlOperation } from './sql';

export type ModelOperation = SqlOperation;

/** Longest model label kept (PostgreSQL's own identifier limit is 63 bytes); longer names are cut. */
export const MAX_MODEL_LABEL = 100;

/**
 * Count `count` (default 1) `operation`s on `model` in `registry`; never throws. The model
 * label is bounded in length here and in number of series by the family's cardinality limit.
 */
export function recordModelOperationInto(registry: Registry, model: string, operation: ModelOperation, count = 1): void {
  try {
    const family = MODEL_COUNTERS[operation];
    if (family === undefined || typeof model !== 'string' || model === '' || !Number.isFinite(count) || count < 0) {
      // No values in the line: the warning is printed once, however many bad calls there are.
      warn("recordModelOperation: ignored a call (expected a model name, 'insert', 'update' or 'delete', and a count >= 0)");
      return;
    }
    registry
      .counter(family)
      .labels(model.length > MAX_MODEL_LABEL ? model.slice(0, MAX_MODEL_LABEL) : model)
      .inc(count);
  } catch (err) {
    internalError('recordModelOperation', err);
  }
}
