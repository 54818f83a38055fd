/** The ops kit's files as data, for the tests that check them (test/ops-*.test.ts). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { ROOT } from './child';

export const OPS = path.join(ROOT, 'ops');
export const RULES_FILE = path.join(OPS, 'prometheus', 'autoprom-rules.yml');
export const RULES_TEST_FILE = path.join(OPS, 'prometheus', 'autoprom-rules.test.yml');
export const DASHBOARD_FILE = path.join(OPS, 'grafana', 'autoprom-dashboard.json');

export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
}

export function readYaml(file: string): unknown {
  return load(readFileSync(file, 'utf8'));
}

export function rules(): Rule[] {
  const doc = readYaml(RULES_FILE) as { groups: Array<{ name: string; rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

/** `record` or `alert`: what the rule is called. */
export function ruleName(rule: Rule): string {
  return rule.record ?? rule.alert ?? '(unnamed rule)';
}

export interface DashboardQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  readonly instant: boolean;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ refId: string; expr: string; instant?: boolean }>;
}

export interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; definition?: string }> };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

export function dashboardQueries(): DashboardQuery[] {
  return dashboard().panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr, instant: t.instant === true })),
  );
}

/**
 * A dashboard expression as Grafana sends it: its variables replaced by the given values
 * (`$__rate_interval` by a window a few scrape intervals long, as Grafana computes it).
 */
export function interpolate(expr: string, vars: Readonly<Record<string, string>>): string {
  return expr.replace(/\$(__rate_interval|\w+)/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`no value for $${name} in ${expr}`);
    return v;
  });
}

/** Whether `expr` reads the metric family `name` (a whole name, not part of a longer one). */
export function readsFamily(expr: string, name: string): boolean {
  return new RegExp(`(^|[^a-zA-Z0-9_:])${name}($|[^a-zA-Z0-9_:])`).test(expr);
}
