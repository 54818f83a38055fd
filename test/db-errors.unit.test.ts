import { strict as assert } from 'node:assert';
import { dbErrorType, sqlstateErrorClass, sqlstateSpecificErrorClass } from '../src/db/errors';

describe('db: SQLSTATE to psycopg base class', () => {
  const table: Array<[string, string | undefined]> = [
    ['23505', 'IntegrityError'], // unique_violation
    ['23503', 'IntegrityError'], // foreign_key_violation
    ['42P01', 'ProgrammingError'], // undefined_table
    ['42601', 'ProgrammingError'], // syntax_error
    ['42703', 'ProgrammingError'], // undefined_column
    ['22012', 'DataError'], // division_by_zero
    ['22P02', 'DataError'], // invalid_text_representation
    ['08006', 'OperationalError'], // connection_failure
    ['08P01', 'OperationalError'], // protocol_violation
    ['53300', 'OperationalError'], // too_many_connections
    ['57014', 'OperationalError'], // query_canceled
    ['57P01', 'OperationalError'], // admin_shutdown
    ['58030', 'OperationalError'], // io_error
    ['40001', 'TransactionRollbackError'], // serialization_failure
    ['40P01', 'TransactionRollbackError'], // deadlock_detected
    ['0A000', 'NotSupportedError'],
    ['28P01', 'OperationalError'], // invalid_password
    ['3D000', 'ProgrammingError'], // invalid_catalog_name (unknown database)
    ['3F000', 'ProgrammingError'],
    ['25P02', 'InternalError'], // in_failed_sql_transaction
    ['P0001', 'InternalError'], // raise_exception
    ['XX000', 'InternalError'],
    ['F0000', 'InternalError'],
    ['HV000', 'OperationalError'],
    ['ECONNREFUSED', undefined],
    ['2350', undefined],
    ['23505 ', undefined],
    ['', undefined],
  ];
  for (const [code, expected] of table) {
    it(`${JSON.stringify(code)} → ${expected}`, () => assert.equal(sqlstateErrorClass(code), expected));
  }

  // The specific psycopg2 class (psycopg2.errors), else the base class above.
  const specific: Array<[string, string | undefined]> = [
    ['23505', 'UniqueViolation'],
    ['23503', 'ForeignKeyViolation'],
    ['23502', 'NotNullViolation'],
    ['42P01', 'UndefinedTable'],
    ['42601', 'SyntaxError'],
    ['42703', 'UndefinedColumn'],
    ['22012', 'DivisionByZero'],
    ['22P02', 'InvalidTextRepresentation'],
    ['08006', 'ConnectionFailure'],
    ['53300', 'TooManyConnections'],
    ['57014', 'QueryCanceled'],
    ['40001', 'SerializationFailure'],
    ['40P01', 'DeadlockDetected'],
    ['0A000', 'FeatureNotSupported'],
    ['3D000', 'InvalidCatalogName'],
    ['25P02', 'InFailedSqlTransaction'],
    ['P0001', 'RaiseException'],
    ['38002', 'ModifyingSqlDataNotPermittedExt'], // psycopg2's name: 2F002 has the same condition name
    ['2F002', 'ModifyingSqlDataNotPermitted'],
    ['XX000', 'InternalError'],
    ['23999', 'IntegrityError'], // no condition of its own: the base class
    ['42ZZZ', 'ProgrammingError'],
    ['ZZ000', 'InternalError'],
    ['ECONNREFUSED', undefined],
  ];
  for (const [code, expected] of specific) {
    it(`specific ${JSON.stringify(code)} → ${expected}`, () => assert.equal(sqlstateSpecificErrorClass(code), expected));
  }

  const errors: Array<[string, unknown, string]> = [
    ['server error with SQLSTATE', Object.assign(new Error('duplicate key'), { code: '23505' }), 'UniqueViolation'],
    ['server error with a SQLSTATE of no condition', Object.assign(new Error('x'), { code: '23999' }), 'IntegrityError'],
    ['socket error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'OperationalError'],
    ['lost connection', new Error('Connection terminated unexpectedly'), 'OperationalError'],
    ['read timeout', new Error('Query read timeout'), 'OperationalError'],
    ['closed client', new Error('Client was closed and is not queryable'), 'InterfaceError'],
    ['bad arguments', new TypeError('Client was passed a null or undefined query'), 'InterfaceError'],
    ['a thrown string', 'boom', 'InterfaceError'],
    ['null', null, 'InterfaceError'],
    ['numeric code', { code: 42 }, 'InterfaceError'],
  ];
  for (const [what, err, expected] of errors) {
    it(`dbErrorType: ${what} → ${expected}`, () => assert.equal(dbErrorType(err), expected));
  }
});
