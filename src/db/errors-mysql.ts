/**
 * MySQL/MariaDB error → the class Django's MySQL backend raises (mysqlclient's `_mysql_Exception`
 * by error number, then Django's CursorWrapper, which re-raises four OperationalErrors as
 * IntegrityError), so that `django_db_errors_total{type}` reads as on a Django service.
 */

/** Error numbers mysqlclient maps to a class other than its default. */
const BY_ERRNO: ReadonlyMap<number, string> = new Map([
  // ProgrammingError
  [2014, 'ProgrammingError'], // CR_COMMANDS_OUT_OF_SYNC
  [1007, 'ProgrammingError'], // ER_DB_CREATE_EXISTS
  [1149, 'ProgrammingError'], // ER_SYNTAX_ERROR
  [1064, 'ProgrammingError'], // ER_PARSE_ERROR
  [1146, 'ProgrammingError'], // ER_NO_SUCH_TABLE
  [1102, 'ProgrammingError'], // ER_WRONG_DB_NAME
  [1103, 'ProgrammingError'], // ER_WRONG_TABLE_NAME
  [1110, 'ProgrammingError'], // ER_FIELD_SPECIFIED_TWICE
  [1111, 'ProgrammingError'], // ER_INVALID_GROUP_FUNC_USE
  [1112, 'ProgrammingError'], // ER_UNSUPPORTED_EXTENSION
  [1113, 'ProgrammingError'], // ER_TABLE_MUST_HAVE_COLUMNS
  [1179, 'ProgrammingError'], // ER_CANT_DO_THIS_DURING_AN_TRANSACTION
  // DataError
  [1265, 'DataError'], // WARN_DATA_TRUNCATED
  [1263, 'DataError'], // WARN_NULL_TO_NOTNULL
  [1264, 'DataError'], // ER_WARN_DATA_OUT_OF_RANGE
  [1230, 'DataError'], // ER_NO_DEFAULT
  [1171, 'DataError'], // ER_PRIMARY_CANT_HAVE_NULL
  [1406, 'DataError'], // ER_DATA_TOO_LONG
  [1441, 'DataError'], // ER_DATETIME_FUNCTION_OVERFLOW
  // IntegrityError
  [1062, 'IntegrityError'], // ER_DUP_ENTRY
  [1169, 'IntegrityError'], // ER_DUP_UNIQUE
  [1216, 'IntegrityError'], // ER_NO_REFERENCED_ROW
  [1452, 'IntegrityError'], // ER_NO_REFERENCED_ROW_2
  [1217, 'IntegrityError'], // ER_ROW_IS_REFERENCED
  [1451, 'IntegrityError'], // ER_ROW_IS_REFERENCED_2
  [1215, 'IntegrityError'], // ER_CANNOT_ADD_FOREIGN
  [1364, 'IntegrityError'], // ER_NO_DEFAULT_FOR_FIELD
  [1048, 'IntegrityError'], // ER_BAD_NULL_ERROR
  // Django's codes_for_integrityerror: OperationalError in mysqlclient, IntegrityError in Django.
  [1690, 'IntegrityError'], // ER_DATA_OUT_OF_RANGE
  [3819, 'IntegrityError'], // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
  [4025, 'IntegrityError'], // ER_CONSTRAINT_FAILED (MariaDB)
  // NotSupportedError
  [1196, 'NotSupportedError'], // ER_WARNING_NOT_COMPLETE_ROLLBACK
  [1235, 'NotSupportedError'], // ER_NOT_SUPPORTED_YET
  [1289, 'NotSupportedError'], // ER_FEATURE_DISABLED
  [1286, 'NotSupportedError'], // ER_UNKNOWN_STORAGE_ENGINE
]);

/** The class for a MySQL error number (server 1000+, client 2000+). */
export function mysqlErrnoClass(errno: number): string {
  return BY_ERRNO.get(errno) ?? (errno < 1000 ? 'InternalError' : 'OperationalError');
}

/**
 * The `type` label for anything a mysql2 statement failed with. A server error carries its
 * number in `errno`; a lost or refused connection (`PROTOCOL_CONNECTION_LOST`, `ECONNRESET`)
 * is what libmysqlclient reports as CR_SERVER_LOST, an OperationalError; anything else
 * (bad arguments, a closed connection object) an InterfaceError. Never the message.
 */
export function mysqlErrorType(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'InterfaceError';
  const { errno, code, sqlState } = err as { errno?: unknown; code?: unknown; sqlState?: unknown };
  if (typeof errno === 'number' && Number.isInteger(errno) && errno > 0 && (typeof sqlState === 'string' || errno >= 1000))
    return mysqlErrnoClass(errno);
  if (typeof code === 'string' && /^(E[A-Z]+|PROTOCOL_[A-Z_]+)$/.test(code)) return 'OperationalError';
  return 'InterfaceError';
}
