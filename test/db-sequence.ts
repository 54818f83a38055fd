/** The scripted pg sequence of test/apps/db-steps.js and what each step must move (shared by the db tests). */
import type { RunningApp } from './helpers/child';

export interface Expect {
  alias?: string;
  connections?: number;
  connectionErrors?: number;
  execute?: number;
  /** Observations in django_db_query_duration_seconds (failures included). */
  timed?: number;
  errors?: Record<string, number>;
  inserts?: Record<string, number>;
  updates?: Record<string, number>;
  deletes?: Record<string, number>;
}

/** The scripted sequence (test/apps/db-steps.js) and what each step must move. */
export const SEQUENCE: ReadonlyArray<[step: string, expect: Expect, error?: { code: string }]> = [
  ['ddl', { connections: 1, execute: 4 }],
  ['multiRowInsert', { execute: 1, inserts: { ap_db_items: 1 } }],
  ['returningInsert', { execute: 1, inserts: { ap_db_items: 1 } }],
  ['callbackUpdate', { execute: 1, updates: { ap_db_items: 1 } }],
  ['preparedUpdate', { execute: 3, updates: { ap_db_items: 3 } }],
  ['quoted', { execute: 3, inserts: { 'Ap Quoted': 1 }, updates: { 'Ap Quoted': 1 }, deletes: { 'Ap Quoted': 1 } }],
  // A table named past 63 bytes: PostgreSQL truncates it, and the model label is the stored name.
  ['longName', { execute: 2, inserts: { [`ap_long_${'l'.repeat(55)}`]: 1 } }],
  ['withInsert', { execute: 2, inserts: { ap_db_items: 2 }, deletes: { ap_db_items: 1 } }],
  ['multiStatement', { execute: 1, inserts: { ap_db_items: 1 }, updates: { ap_db_items: 1 }, deletes: { ap_db_items: 1 } }],
  ['upsert', { execute: 1, inserts: { ap_db_items: 1 } }],
  // `type` is the specific psycopg2 class django-prometheus shows (base classes IntegrityError, ProgrammingError, DataError).
  ['uniqueViolation', { execute: 1, errors: { UniqueViolation: 1 } }, { code: '23505' }],
  ['undefinedTable', { execute: 1, errors: { UndefinedTable: 1 } }, { code: '42P01' }],
  ['syntaxError', { execute: 1, errors: { SyntaxError: 1 } }, { code: '42601' }],
  ['divisionByZero', { execute: 1, errors: { DivisionByZero: 1 } }, { code: '22012' }],
  ['bareClient', { connections: 1, execute: 2, deletes: { ap_db_items: 1 } }],
  ['bareClientCallback', { connections: 1 }],
  // pool.query released its client with the error above (pg-pool then drops it): a new connection.
  // One submittable read through events (timed by autoprom), one with a callback (timed by instrumentation-pg).
  ['submittable', { connections: 1, execute: 2, deletes: { ap_db_items: 2 } }],
  ['refused', { alias: 'ap_refused', connections: 2, connectionErrors: 2 }],
  ['refusedPool', { alias: 'ap_refused', connections: 1, connectionErrors: 1 }, { code: 'ECONNREFUSED' }],
  ['wrongDatabase', { alias: 'ap_no_such_db', connections: 1, connectionErrors: 1 }, { code: '3D000' }],
  // Only what follows the last '/' of the mis-read database name is a label: never the password.
  ['secretInUrl', { alias: 'ap_secret', connections: 1, connectionErrors: 1 }, { code: 'ECONNREFUSED' }],
  ['cleanup', { execute: 2 }],
];

export interface StepReply {
  value?: unknown;
  error?: { class?: string; message?: string; code?: string };
}

export async function runStep(app: RunningApp, step: string): Promise<StepReply> {
  const res = await fetch(`http://127.0.0.1:${String(app.ready.port)}/step/${step}`);
  return (await res.json()) as StepReply;
}
