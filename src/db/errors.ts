/**
 * SQLSTATE → the psycopg exception class a Django backend would raise, so that
 * `django_db_errors_total{type=...}` reads the same on a Node service as on a Django one:
 * the specific class psycopg2 raises for the SQLSTATE (`UniqueViolation`, `UndefinedTable`,
 * see sqlstate-classes.ts), else its base class. Base classes follow psycopg2's
 * `base_exception_from_sqlstate`, with the SPEC's choices for 08 and 57 (OperationalError) and
 * InternalError instead of DatabaseError as the fallback.
 */
import { SQLSTATE_CLASSES } from './sqlstate-classes';

/** By the two-character SQLSTATE class. */
const BY_CLASS: Readonly<Record<string, string>> = {
  '08': 'OperationalError', // connection exception
  '0A': 'NotSupportedError',
  '20': 'ProgrammingError', // case not found
  '21': 'ProgrammingError', // cardinality violation
  '22': 'DataError',
  '23': 'IntegrityError',
  '24': 'InternalError', // invalid cursor state
  '25': 'InternalError', // invalid transaction state
  '26': 'OperationalError', // invalid SQL statement name
  '27': 'OperationalError', // triggered data change violation
  '28': 'OperationalError', // invalid authorization specification
  '2B': 'InternalError',
  '2D': 'InternalError',
  '2F': 'InternalError',
  '34': 'OperationalError', // invalid cursor name
  '38': 'InternalError',
  '39': 'InternalError',
  '3B': 'InternalError',
  '3D': 'ProgrammingError', // invalid catalog name
  '3F': 'ProgrammingError', // invalid schema name
  '40': 'TransactionRollbackError',
  '42': 'ProgrammingError', // syntax error or access rule violation
  '44': 'ProgrammingError', // WITH CHECK OPTION violation
  '53': 'OperationalError', // insufficient resources
  '54': 'OperationalError', // program limit exceeded
  '55': 'OperationalError', // object not in prerequisite state
  '57': 'OperationalError', // operator intervention
  '58': 'OperationalError', // system error
  HV: 'OperationalError', // foreign data wrapper error
};

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The psycopg base class (IntegrityError…) for a five-character SQLSTATE, or undefined when `code` is not one. */
export function sqlstateErrorClass(code: string): string | undefined {
  if (!SQLSTATE.test(code)) return undefined;
  return BY_CLASS[code.slice(0, 2)] ?? 'InternalError';
}

/** The class psycopg2 raises for a SQLSTATE: the specific one when it has one, else the base class. */
export function sqlstateSpecificErrorClass(code: string): string | undefined {
  if (!SQLSTATE.test(code)) return undefined;
  return SQLSTATE_CLASSES[code] ?? sqlstateErrorClass(code);
}

/**
 * The `type` label for anything a pg statement failed with. A server error carries its
 * SQLSTATE in `code`; a client-side failure has none: a socket error (`ECONNRESET`…) or a
 * lost connection is an OperationalError as in psycopg, anything else (a closed client,
 * bad arguments, a read timeout) an InterfaceError. Never the message: labels stay bounded.
 */
export function dbErrorType(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    const byState = sqlstateSpecificErrorClass(code);
    if (byState !== undefined) return byState;
    if (/^E[A-Z]+$/.test(code)) return 'OperationalError';
  }
  const message = err instanceof Error ? err.message : '';
  if (/^Connection terminated|^terminating connection|timeout/i.test(message)) return 'OperationalError';
  return 'InterfaceError';
}
