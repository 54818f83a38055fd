/**
 * SQL text → the tables it inserts into, updates or deletes from: how `django_model_*`
 * counters come out of whatever SQL an ORM sends (pg, mysql2, SQLite), with no application code.
 *
 * It is a scanner, not a SQL parser: it reads the leading keywords of each statement
 * (after comments and `WITH` clauses) and the target name, skipping string literals,
 * quoted identifiers, dollar quotes and comments, so that a `;` or a keyword inside them
 * never misleads it. Anything it does not recognise yields no target: a statement it
 * cannot read counts nowhere rather than somewhere wrong. Each vendor's lexical rules
 * (quotes, comments, `REPLACE`, `INSERT OR …`) are a `SqlDialect`.
 */

export type SqlOperation = 'insert' | 'update' | 'delete';

export interface SqlTarget {
  readonly operation: SqlOperation;
  /** Bare table name: schema and quotes stripped; unquoted names folded to lower case on PostgreSQL (as it does), kept on MySQL and SQLite. */
  readonly table: string;
}

/** The SQL dialect whose lexical rules the scanner follows (Django's vendor names). */
export type SqlDialectName = 'postgresql' | 'mysql' | 'sqlite';

interface SqlDialect {
  /** `"…"` is a string with backslash escapes (MySQL without ANSI_QUOTES), not an identifier. */
  readonly doubleQuotedStrings: boolean;
  /** Backslash escapes in every `'…'` string (MySQL); PostgreSQL only in `E'…'`. */
  readonly backslashStrings: boolean;
  /** `E'…'` escape strings and `$tag$…$tag$` dollar quotes (PostgreSQL). */
  readonly postgresQuotes: boolean;
  /** `` `…` `` quoted identifiers (MySQL, SQLite). */
  readonly backticks: boolean;
  /** `[…]` quoted identifiers (SQLite). */
  readonly brackets: boolean;
  /** `# …` comments (MySQL). */
  readonly hashComments: boolean;
  /** `/* /* … *\/ *\/` nests (PostgreSQL). */
  readonly nestedComments: boolean;
  /** Unquoted names are folded to lower case (PostgreSQL). */
  readonly foldCase: boolean;
  /** The stored identifier's limit in UTF-8 bytes (PostgreSQL: 63), in characters (MySQL: 64), or none (SQLite). */
  readonly maxIdentifier: { readonly bytes: number } | { readonly chars: number } | undefined;
  /** Words allowed between the verb and the table: `INSERT IGNORE`, `INSERT OR REPLACE`, `DELETE QUICK`. */
  readonly modifiers: ReadonlySet<string>;
  /** `REPLACE INTO t` inserts (MySQL, SQLite); `INSERT t` without INTO (MySQL). */
  readonly replace: boolean;
  readonly intoOptional: boolean;
}

const DIALECTS: Readonly<Record<SqlDialectName, SqlDialect>> = {
  postgresql: {
    doubleQuotedStrings: false,
    backslashStrings: false,
    postgresQuotes: true,
    backticks: false,
    brackets: false,
    hashComments: false,
    nestedComments: true,
    foldCase: true,
    maxIdentifier: { bytes: 63 },
    modifiers: new Set(),
    replace: false,
    intoOptional: false,
  },
  mysql: {
    doubleQuotedStrings: true,
    backslashStrings: true,
    postgresQuotes: false,
    backticks: true,
    brackets: false,
    hashComments: true,
    nestedComments: false,
    foldCase: false,
    maxIdentifier: { chars: 64 },
    modifiers: new Set(['low_priority', 'delayed', 'high_priority', 'ignore', 'quick']),
    replace: true,
    intoOptional: true,
  },
  sqlite: {
    doubleQuotedStrings: false,
    backslashStrings: false,
    postgresQuotes: false,
    backticks: true,
    brackets: true,
    hashComments: false,
    nestedComments: false,
    foldCase: false,
    maxIdentifier: undefined,
    // INSERT OR REPLACE / UPDATE OR IGNORE …: `or` and the conflict resolution.
    modifiers: new Set(['or', 'replace', 'ignore', 'abort', 'fail', 'rollback']),
    replace: true,
    intoOptional: false,
  },
};

const NONE: readonly SqlTarget[] = Object.freeze([]);

/** Characters: 0-9 48-57, A-Z 65-90, _ 95, a-z 97-122, $ 36. */
function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
}

/** Index past whitespace and comments (`-- …`, `/* … *\/`, nested on PostgreSQL, and MySQL's `# …`). */
function skipSpace(s: string, i: number, d: SqlDialect): number {
  const n = s.length;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if ((s.charCodeAt(i) === 45 && s.charCodeAt(i + 1) === 45) || (d.hashComments && s.charCodeAt(i) === 35)) {
      const nl = s.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 42) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const c = s.charCodeAt(i);
        if (c === 42 && s.charCodeAt(i + 1) === 47) {
          depth--;
          i += 2;
        } else if (d.nestedComments && c === 47 && s.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else i++;
      }
      // Unterminated: everything left is comment.
      continue;
    }
    return i;
  }
}

/** End of the word starting at i (i itself when there is none). */
function wordEnd(s: string, i: number): number {
  if (i >= s.length || !isWordStart(s.charCodeAt(i))) return i;
  i++;
  while (i < s.length && isWordPart(s.charCodeAt(i))) i++;
  return i;
}

/** Whether the word at [i, end) is `keyword` (lower case), ignoring case. */
function isKeyword(s: string, i: number, end: number, keyword: string): boolean {
  if (end - i !== keyword.length) return false;
  for (let k = 0; k < keyword.length; k++) {
    if ((s.charCodeAt(i + k) | 32) !== keyword.charCodeAt(k)) return false;
  }
  return true;
}

/** Index past the quoted token opened by s[i] (`'`, `"`, `` ` ``), doubling as the escape; -1 if unterminated. */
function skipQuoted(s: string, i: number, quote: number, backslashEscapes: boolean): number {
  const n = s.length;
  i++;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (backslashEscapes && c === 92) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (s.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return -1;
}

/** Index past a `$tag$ … $tag$` string opened at i, or undefined when s[i] opens none (`$1` is a parameter). */
function skipDollarQuoted(s: string, i: number): number | undefined {
  let j = i + 1;
  while (j < s.length && s.charCodeAt(j) !== 36) {
    const c = s.charCodeAt(j);
    if (!(isWordPart(c) && c !== 36) || (j === i + 1 && c >= 48 && c <= 57)) return undefined;
    j++;
  }
  if (j >= s.length) return undefined;
  const tag = s.slice(i, j + 1);
  const close = s.indexOf(tag, j + 1);
  return close === -1 ? -1 : close + tag.length;
}

/**
 * Index past the next token-level unit at i that can hide a `;`, `(` or `)` (string, quoted
 * identifier, dollar quote, comment), or i when s[i] opens none; -1 when it is unterminated.
 */
function skipOpaque(s: string, i: number, d: SqlDialect): number {
  const c = s.charCodeAt(i);
  if (c === 39) {
    if (d.backslashStrings) return skipQuoted(s, i, 39, true);
    if (!d.postgresQuotes) return skipQuoted(s, i, 39, false);
    const prev = i > 0 ? s.charCodeAt(i - 1) | 32 : 0;
    const escapeString = prev === 101 && (i < 2 || !isWordPart(s.charCodeAt(i - 2)));
    return skipQuoted(s, i, 39, escapeString);
  }
  if (c === 34) return skipQuoted(s, i, 34, d.doubleQuotedStrings && d.backslashStrings);
  if (c === 96 && d.backticks) return skipQuoted(s, i, 96, false);
  if (c === 91 && d.brackets) {
    const close = s.indexOf(']', i + 1);
    return close === -1 ? -1 : close + 1;
  }
  if (c === 36 && d.postgresQuotes) {
    if (i > 0 && isWordPart(s.charCodeAt(i - 1))) return i;
    return skipDollarQuoted(s, i) ?? i;
  }
  if ((c === 45 && s.charCodeAt(i + 1) === 45) || (c === 47 && s.charCodeAt(i + 1) === 42) || (c === 35 && d.hashComments))
    return skipSpace(s, i, d);
  return i;
}

/** Index past the parenthesised group opened at s[i] === '('; -1 if unbalanced. */
function skipParens(s: string, i: number, d: SqlDialect): number {
  let depth = 0;
  const n = s.length;
  while (i < n) {
    const j = skipOpaque(s, i, d);
    if (j === -1) return -1;
    if (j !== i) {
      i = j;
      continue;
    }
    const c = s.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** Index of the `;` that ends the statement starting at i (s.length when none). -1 on unterminated quoting. */
function statementEnd(s: string, i: number, d: SqlDialect): number {
  // Most statements have no `;` at all: one native search settles them.
  if (s.indexOf(';', i) === -1) return s.length;
  const n = s.length;
  while (i < n) {
    const j = skipOpaque(s, i, d);
    if (j === -1) return -1;
    if (j !== i) {
      i = j;
      continue;
    }
    if (s.charCodeAt(i) === 59) return i;
    i++;
  }
  return n;
}

/**
 * The last part of a possibly schema-qualified, possibly quoted name at i, and the index
 * after it; undefined when there is no plain name there.
 */
function readName(s: string, i: number, d: SqlDialect): { name: string; end: number } | undefined {
  let name: string | undefined;
  for (;;) {
    const c = s.charCodeAt(i);
    if ((c === 34 && !d.doubleQuotedStrings) || (c === 96 && d.backticks)) {
      const end = skipQuoted(s, i, c, false);
      if (end === -1 || end === i + 2) return undefined;
      name = s.slice(i + 1, end - 1).replace(c === 34 ? /""/g : /``/g, c === 34 ? '"' : '`');
      i = end;
    } else if (c === 91 && d.brackets) {
      const end = s.indexOf(']', i + 1);
      if (end === -1 || end === i + 1) return undefined;
      name = s.slice(i + 1, end);
      i = end + 1;
    } else {
      const end = wordEnd(s, i);
      if (end === i) return undefined;
      name = d.foldCase ? s.slice(i, end).toLowerCase() : s.slice(i, end);
      i = end;
    }
    if (s.charCodeAt(i) !== 46) break;
    i++;
  }
  // A name must be followed by something that can follow a table name; `U&"x"`, `t.*` and the like are not read.
  if (i < s.length) {
    const c = s.charCodeAt(i);
    if (!(isSpace(c) || c === 40 || c === 59 || c === 41 || c === 42 || c === 45 || c === 47)) return undefined;
  }
  return { name, end: i };
}

/** PostgreSQL keeps the first 63 bytes of a longer identifier (NAMEDATALEN - 1): so does the model label. */
const MAX_IDENTIFIER_BYTES = 63;
/** SQLite has no identifier limit: the label is still bounded (as recordModelOperation's). */
const MAX_UNLIMITED_IDENTIFIER = 100;

/** A table name as PostgreSQL stores it: cut to 63 UTF-8 bytes (or `maxBytes`), on a character boundary. */
export function storedIdentifier(name: string, maxBytes = MAX_IDENTIFIER_BYTES): string {
  // maxBytes / 3 UTF-16 units are at most maxBytes UTF-8 bytes: the common case needs no counting.
  if (name.length <= Math.floor(maxBytes / 3) || Buffer.byteLength(name) <= maxBytes) return name;
  let bytes = 0;
  let end = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return name.slice(0, end);
}

/** The model label of a table name as the dialect's server stores it. */
function modelLabel(name: string, d: SqlDialect): string {
  const max = d.maxIdentifier;
  if (max === undefined) return [...name].slice(0, MAX_UNLIMITED_IDENTIFIER).join('');
  if ('bytes' in max) return storedIdentifier(name, max.bytes);
  // MySQL counts characters (code points).
  return name.length <= max.chars ? name : [...name].slice(0, max.chars).join('');
}

/** Index past the dialect's modifier words (`IGNORE`, `OR REPLACE`, `LOW_PRIORITY`) at j. */
function skipModifiers(s: string, j: number, d: SqlDialect): number {
  if (d.modifiers.size === 0) return j;
  for (;;) {
    const e = wordEnd(s, j);
    if (e === j || !d.modifiers.has(s.slice(j, e).toLowerCase())) return j;
    j = skipSpace(s, e, d);
  }
}

/** The target of the INSERT/UPDATE/DELETE (or REPLACE) whose keyword spans [i, wordEnd), or undefined. */
function readDmlTarget(s: string, i: number, end: number, d: SqlDialect): SqlTarget | undefined {
  let operation: SqlOperation;
  let j = skipSpace(s, end, d);
  if (isKeyword(s, i, end, 'insert') || (d.replace && isKeyword(s, i, end, 'replace'))) {
    j = skipModifiers(s, j, d);
    const e = wordEnd(s, j);
    if (isKeyword(s, j, e, 'into')) j = skipSpace(s, e, d);
    else if (!(d.intoOptional || isKeyword(s, i, end, 'replace'))) return undefined;
    operation = 'insert';
  } else if (isKeyword(s, i, end, 'update')) {
    j = skipModifiers(s, j, d);
    operation = 'update';
  } else if (isKeyword(s, i, end, 'delete')) {
    j = skipModifiers(s, j, d);
    const e = wordEnd(s, j);
    if (!isKeyword(s, j, e, 'from')) return undefined;
    j = skipSpace(s, e, d);
    operation = 'delete';
  } else {
    return undefined;
  }
  if (operation !== 'insert' && d.postgresQuotes) {
    const e = wordEnd(s, j);
    if (isKeyword(s, j, e, 'only')) j = skipSpace(s, e, d);
  }
  const name = readName(s, j, d);
  return name === undefined ? undefined : { operation, table: modelLabel(name.name, d) };
}

/**
 * Targets of the statement starting at i (the main one and data-modifying `WITH` parts),
 * added to `out`. Returns false when the statement cannot be read (the caller then stops).
 */
function readStatement(s: string, i: number, out: SqlTarget[], d: SqlDialect): boolean {
  i = skipSpace(s, i, d);
  while (s.charCodeAt(i) === 40) i = skipSpace(s, i + 1, d);
  let end = wordEnd(s, i);
  if (isKeyword(s, i, end, 'with')) {
    i = skipSpace(s, end, d);
    end = wordEnd(s, i);
    if (isKeyword(s, i, end, 'recursive')) i = skipSpace(s, end, d);
    for (;;) {
      const cte = readName(s, i, d);
      if (cte === undefined) return false;
      i = skipSpace(s, cte.end, d);
      if (s.charCodeAt(i) === 40) {
        i = skipParens(s, i, d);
        if (i === -1) return false;
        i = skipSpace(s, i, d);
      }
      end = wordEnd(s, i);
      if (!isKeyword(s, i, end, 'as')) return false;
      i = skipSpace(s, end, d);
      end = wordEnd(s, i);
      if (isKeyword(s, i, end, 'not')) {
        i = skipSpace(s, end, d);
        end = wordEnd(s, i);
      }
      if (isKeyword(s, i, end, 'materialized')) i = skipSpace(s, end, d);
      if (s.charCodeAt(i) !== 40) return false;
      const bodyStart = skipSpace(s, i + 1, d);
      const inner = readDmlTarget(s, bodyStart, wordEnd(s, bodyStart), d);
      i = skipParens(s, i, d);
      if (i === -1) return false;
      if (inner !== undefined) out.push(inner);
      i = skipSpace(s, i, d);
      if (s.charCodeAt(i) !== 44) break;
      i = skipSpace(s, i + 1, d);
    }
    end = wordEnd(s, i);
  }
  const target = readDmlTarget(s, i, end, d);
  if (target !== undefined) out.push(target);
  // Bodies of `CREATE FUNCTION … BEGIN ATOMIC` hold `;`: text after a CREATE is not split into statements.
  return !isKeyword(s, i, end, 'create');
}

/**
 * Every INSERT, UPDATE and DELETE target in `sql`, in order: one per statement of a
 * multi-statement text, plus data-modifying `WITH` parts. Empty when there is none or
 * the text cannot be read.
 */
export function parseSqlTargets(sql: string, dialect: SqlDialectName = 'postgresql'): readonly SqlTarget[] {
  const d = DIALECTS[dialect];
  const out: SqlTarget[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const before = out.length;
    if (!readStatement(sql, i, out, d)) {
      if (i === 0) return out.length === 0 ? NONE : out;
      break;
    }
    const end = statementEnd(sql, i, d);
    if (end === -1) {
      // Unterminated quoting: the text is not what it seemed; drop what this statement gave.
      out.length = before;
      break;
    }
    i = end + 1;
  }
  return out.length === 0 ? NONE : out;
}

/** The single target of a one-statement text, or undefined (none, or several). */
export function parseSqlTarget(sql: string, dialect: SqlDialectName = 'postgresql'): SqlTarget | undefined {
  const targets = parseSqlTargets(sql, dialect);
  return targets.length === 1 ? targets[0] : undefined;
}

/** Texts longer than this are parsed every time rather than kept (a bulk INSERT with inline values can be megabytes). */
const MAX_CACHED_TEXT = 4096;

/**
 * parseSqlTargets memoised by text: ORMs send the same parameterised texts again and
 * again. Bounded: when full it starts over, which costs one parse per text.
 */
export class SqlTargetCache {
  private readonly entries = new Map<string, readonly SqlTarget[]>();
  constructor(
    private readonly limit = 1000,
    private readonly dialect: SqlDialectName = 'postgresql',
  ) {}

  get(sql: string): readonly SqlTarget[] {
    let targets = this.entries.get(sql);
    if (targets !== undefined) return targets;
    targets = parseSqlTargets(sql, this.dialect);
    if (sql.length <= MAX_CACHED_TEXT) {
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(sql, targets);
    }
    return targets;
  }

  get size(): number {
    return this.entries.size;
  }
}
