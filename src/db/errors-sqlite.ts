/**
 * SQLite error → the class Python's sqlite3 module raises (Django's SQLite backend), by the
 * primary result code: better-sqlite3 gives the code's name (`SQLITE_CONSTRAINT_UNIQUE`),
 * node:sqlite its number (`errcode`, extended codes carry the primary one in the low byte).
 */

/** Primary result code name → sqlite3 class (CPython's _sqlite/util.c). */
const BY_PRIMARY: Readonly<Record<string, string>> = {
  SQLITE_INTERNAL: 'InternalError',
  SQLITE_NOTFOUND: 'InternalError',
  SQLITE_NOMEM: 'MemoryError',
  SQLITE_ERROR: 'OperationalError',
  SQLITE_PERM: 'OperationalError',
  SQLITE_ABORT: 'OperationalError',
  SQLITE_BUSY: 'OperationalError',
  SQLITE_LOCKED: 'OperationalError',
  SQLITE_READONLY: 'OperationalError',
  SQLITE_INTERRUPT: 'OperationalError',
  SQLITE_IOERR: 'OperationalError',
  SQLITE_FULL: 'OperationalError',
  SQLITE_CANTOPEN: 'OperationalError',
  SQLITE_PROTOCOL: 'OperationalError',
  SQLITE_EMPTY: 'OperationalError',
  SQLITE_SCHEMA: 'OperationalError',
  SQLITE_CORRUPT: 'DatabaseError',
  SQLITE_TOOBIG: 'DataError',
  SQLITE_CONSTRAINT: 'IntegrityError',
  SQLITE_MISMATCH: 'IntegrityError',
  SQLITE_MISUSE: 'InterfaceError',
  SQLITE_RANGE: 'InterfaceError',
};

/** Primary result code number → its name (sqlite3.h). */
const PRIMARY_NAMES: readonly string[] = [
  'SQLITE_OK',
  'SQLITE_ERROR',
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_EMPTY',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_FORMAT',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
];

/** The sqlite3 class for a result code name, primary or extended (`SQLITE_CONSTRAINT_UNIQUE`). */
export function sqliteCodeClass(code: string): string {
  let primary = code;
  while (!(primary in BY_PRIMARY) && primary.lastIndexOf('_') > 'SQLITE'.length) primary = primary.slice(0, primary.lastIndexOf('_'));
  return BY_PRIMARY[primary] ?? 'DatabaseError';
}

/**
 * The `type` label for anything a SQLite statement failed with. SQLite's own errors by their
 * result code; the driver's checks (wrong bindings, a closed database, a finalized statement)
 * are what sqlite3 raises as ProgrammingError. Never the message.
 */
export function sqliteErrorType(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'ProgrammingError';
  const { code, errcode } = err as { code?: unknown; errcode?: unknown };
  if (typeof errcode === 'number' && Number.isInteger(errcode) && errcode > 0) {
    const name = PRIMARY_NAMES[errcode & 0xff];
    return name === undefined ? 'DatabaseError' : sqliteCodeClass(name);
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return sqliteCodeClass(code);
  return 'ProgrammingError';
}
