import { strict as assert } from 'node:assert';
import { mysqlErrnoClass, mysqlErrorType } from '../src/db/errors-mysql';
import { sqliteCodeClass, sqliteErrorType } from '../src/db/errors-sqlite';

describe('db: MySQL error to the class Django (mysqlclient) raises', () => {
  const byErrno: Array<[number, string]> = [
    [1062, 'IntegrityError'], // ER_DUP_ENTRY
    [1452, 'IntegrityError'], // ER_NO_REFERENCED_ROW_2
    [1048, 'IntegrityError'], // ER_BAD_NULL_ERROR
    [4025, 'IntegrityError'], // ER_CONSTRAINT_FAILED (Django's codes_for_integrityerror)
    [3819, 'IntegrityError'],
    [1690, 'IntegrityError'],
    [1146, 'ProgrammingError'], // ER_NO_SUCH_TABLE
    [1064, 'ProgrammingError'], // ER_PARSE_ERROR
    [2014, 'ProgrammingError'], // CR_COMMANDS_OUT_OF_SYNC
    [1406, 'DataError'], // ER_DATA_TOO_LONG
    [1264, 'DataError'], // ER_WARN_DATA_OUT_OF_RANGE
    [1235, 'NotSupportedError'], // ER_NOT_SUPPORTED_YET
    [1054, 'OperationalError'], // ER_BAD_FIELD_ERROR: the default for server errors
    [1049, 'OperationalError'], // ER_BAD_DB_ERROR
    [1213, 'OperationalError'], // ER_LOCK_DEADLOCK
    [2013, 'OperationalError'], // CR_SERVER_LOST
    [999, 'InternalError'],
  ];
  for (const [errno, expected] of byErrno) it(`errno ${errno} → ${expected}`, () => assert.equal(mysqlErrnoClass(errno), expected));

  const errors: Array<[string, unknown, string]> = [
    ['server error', { errno: 1062, code: 'ER_DUP_ENTRY', sqlState: '23000' }, 'IntegrityError'],
    ['refused', { errno: -111, code: 'ECONNREFUSED' }, 'OperationalError'],
    ['connection lost', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, 'OperationalError'],
    ['closed connection', new Error("Can't add new command when connection is in closed state"), 'InterfaceError'],
    ['a thrown string', 'boom', 'InterfaceError'],
    ['null', null, 'InterfaceError'],
  ];
  for (const [what, err, expected] of errors)
    it(`mysqlErrorType: ${what} → ${expected}`, () => assert.equal(mysqlErrorType(err), expected));
});

describe('db: SQLite error to the class Python sqlite3 raises', () => {
  const byCode: Array<[string, string]> = [
    ['SQLITE_CONSTRAINT', 'IntegrityError'],
    ['SQLITE_CONSTRAINT_UNIQUE', 'IntegrityError'],
    ['SQLITE_CONSTRAINT_NOTNULL', 'IntegrityError'],
    ['SQLITE_MISMATCH', 'IntegrityError'],
    ['SQLITE_ERROR', 'OperationalError'],
    ['SQLITE_BUSY', 'OperationalError'],
    ['SQLITE_BUSY_SNAPSHOT', 'OperationalError'],
    ['SQLITE_IOERR_SHORT_READ', 'OperationalError'],
    ['SQLITE_READONLY', 'OperationalError'],
    ['SQLITE_CANTOPEN', 'OperationalError'],
    ['SQLITE_CORRUPT', 'DatabaseError'],
    ['SQLITE_NOTADB', 'DatabaseError'],
    ['SQLITE_TOOBIG', 'DataError'],
    ['SQLITE_RANGE', 'InterfaceError'],
    ['SQLITE_MISUSE', 'InterfaceError'],
    ['SQLITE_INTERNAL', 'InternalError'],
  ];
  for (const [code, expected] of byCode) it(`${code} → ${expected}`, () => assert.equal(sqliteCodeClass(code), expected));

  const errors: Array<[string, unknown, string]> = [
    ['better-sqlite3 SqliteError', { code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'IntegrityError'],
    ['node:sqlite extended code 2067', { code: 'ERR_SQLITE_ERROR', errcode: 2067 }, 'IntegrityError'],
    ['node:sqlite 1', { code: 'ERR_SQLITE_ERROR', errcode: 1 }, 'OperationalError'],
    ['node:sqlite 14 (cannot open)', { code: 'ERR_SQLITE_ERROR', errcode: 14 }, 'OperationalError'],
    ['node:sqlite 5 (busy)', { code: 'ERR_SQLITE_ERROR', errcode: 5 }, 'OperationalError'],
    ['a driver check (RangeError)', new RangeError('Too few parameter values were provided'), 'ProgrammingError'],
    ['a closed database', Object.assign(new Error('database is not open'), { code: 'ERR_INVALID_STATE' }), 'ProgrammingError'],
    ['null', null, 'ProgrammingError'],
  ];
  for (const [what, err, expected] of errors)
    it(`sqliteErrorType: ${what} → ${expected}`, () => assert.equal(sqliteErrorType(err), expected));
});
