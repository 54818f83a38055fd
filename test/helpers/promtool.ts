/** `promtool check metrics` on an exposition, with the findings autoprom accepts on purpose. */
import { spawnSync } from 'node:child_process';

/**
 * prom-client names these gauges with a `_total` suffix and Node.js dashboards query them by
 * those names, so autoprom keeps them; promtool's linter flags exactly these, nothing else.
 */
export const ACCEPTED_LINT = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
];

export interface PromtoolResult {
  readonly status: number | null;
  /** Every line promtool printed, less the accepted lint findings. */
  readonly findings: string[];
}

export function promtoolCheck(text: string): PromtoolResult {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`promtool not found (${r.error.message}): apt-get update && apt-get install -y prometheus`);
  const lines = `${r.stdout}${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return { status: r.status, findings: lines.filter((l) => !ACCEPTED_LINT.includes(l)) };
}
