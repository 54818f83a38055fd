/**
 * SQL text → the tables it inserts into, updates or deletes from: how `django_model_*`
 * counters come out of whatever SQL an ORM sends through pg, with no application code.
 *
 * It is a scanner, not a SQL parser: it reads the leading keywords of each statement
 * (after comments and `WITH` clauses) and the target name, skipping string literals,
 * quoted identifiers, dollar quotes and comments, so that a `;` or a keyword inside them
 * never misleads it. Anything it does not recognise yields no target: a statement it
 * cannot read counts nowhere rather than somewhere wrong.
 */

export type SqlOperation = 'insert' | 'update' | 'delete';

export interface SqlTarget {
  readonly operation: SqlOperation;
  /** Bare table name: schema and quotes stripped, unquoted names folded to lower case (as PostgreSQL does). */
  readonly table: string;
}

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

/** Index past whitespace and comments (`-- …` and nested `/* … *\/`). */
function skipSpace(s: string, i: number): number {
  const n = s.length;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 45 && s.charCodeAt(i + 1) === 45) {
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
        } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else i++;
      }
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

/** Index past the quoted token opened by s[i] (`'`, `"`), doubling as the escape; -1 if unterminated. */
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
function skipOpaque(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 39) {
    const prev = i > 0 ? s.charCodeAt(i - 1) | 32 : 0;
    const escapeString = prev === 101 && (i < 2 || !isWordPart(s.charCodeAt(i - 2)));
    return skipQuoted(s, i, 39, escapeString);
  }
  if (c === 34) return skipQuoted(s, i, 34, false);
  if (c === 36) {
    if (i > 0 && isWordPart(s.charCodeAt(i - 1))) return i;
    return skipDollarQuoted(s, i) ?? i;
  }
  if ((c === 45 && s.charCodeAt(i + 1) === 45) || (c === 47 && s.charCodeAt(i + 1) === 42)) return skipSpace(s, i);
  return i;
}

/** Index past the parenthesised group opened at s[i] === '('; -1 if unbalanced. */
function skipParens(s: string, i: number): number {
  let depth = 0;
  const n = s.length;
  while (i < n) {
    const j = skipOpaque(s, i);
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
function statementEnd(s: string, i: number): number {
  // Most statements have no `;` at all: one native search settles them.
  if (s.indexOf(';', i) === -1) return s.length;
  const n = s.length;
  while (i < n) {
    const j = skipOpaque(s, i);
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
function readName(s: string, i: number): { name: string; end: number } | undefined {
  let name: string | undefined;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      const end = skipQuoted(s, i, 34, false);
      if (end === -1 || end === i + 2) return undefined;
      name = s.slice(i + 1, end - 1).replace(/""/g, '"');
      i = end;
    } else {
      const end = wordEnd(s, i);
      if (end === i) return undefined;
      name = s.slice(i, end).toLowerCase();
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

/** A table name as PostgreSQL stores it: cut to 63 UTF-8 bytes, on a character boundary. */
export function storedIdentifier(name: string): string {
  // 21 UTF-16 units are at most 63 UTF-8 bytes: the common case needs no counting.
  if (name.length <= 21 || Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  let bytes = 0;
  let end = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > MAX_IDENTIFIER_BYTES) break;
    bytes += n;
    end += ch.length;
  }
  return name.slice(0, end);
}

/** The target of the INSERT/UPDATE/DELETE whose keyword spans [i, wordEnd), or undefined. */
function readDmlTarget(s: string, i: number, end: number): SqlTarget | undefined {
  let operation: SqlOperation;
  let j = skipSpace(s, end);
  if (isKeyword(s, i, end, 'insert')) {
    const e = wordEnd(s, j);
    if (!isKeyword(s, j, e, 'into')) return undefined;
    j = skipSpace(s, e);
    operation = 'insert';
  } else if (isKeyword(s, i, end, 'update')) {
    operation = 'update';
  } else if (isKeyword(s, i, end, 'delete')) {
    const e = wordEnd(s, j);
    if (!isKeyword(s, j, e, 'from')) return undefined;
    j = skipSpace(s, e);
    operation = 'delete';
  } else {
    return undefined;
  }
  if (operation !== 'insert') {
    const e = wordEnd(s, j);
    if (isKeyword(s, j, e, 'only')) j = skipSpace(s, e);
  }
  const name = readName(s, j);
  return name === undefined ? undefined : { operation, table: storedIdentifier(name.name) };
}

/**
 * Targets of the statement starting at i (the main one and data-modifying `WITH` parts),
 * added to `out`. Returns false when the statement cannot be read (the caller then stops).
 */
function readStatement(s: string, i: number, out: SqlTarget[]): boolean {
  i = skipSpace(s, i);
  while (s.charCodeAt(i) === 40) i = skipSpace(s, i + 1);
  let end = wordEnd(s, i);
  if (isKeyword(s, i, end, 'with')) {
    i = skipSpace(s, end);
    end = wordEnd(s, i);
    if (isKeyword(s, i, end, 'recursive')) i = skipSpace(s, end);
    for (;;) {
      const cte = readName(s, i);
      if (cte === undefined) return false;
      i = skipSpace(s, cte.end);
      if (s.charCodeAt(i) === 40) {
        i = skipParens(s, i);
        if (i === -1) return false;
        i = skipSpace(s, i);
      }
      end = wordEnd(s, i);
      if (!isKeyword(s, i, end, 'as')) return false;
      i = skipSpace(s, end);
      end = wordEnd(s, i);
      if (isKeyword(s, i, end, 'not')) {
        i = skipSpace(s, end);
        end = wordEnd(s, i);
      }
      if (isKeyword(s, i, end, 'materialized')) i = skipSpace(s, end);
      if (s.charCodeAt(i) !== 40) return false;
      const bodyStart = skipSpace(s, i + 1);
      const inner = readDmlTarget(s, bodyStart, wordEnd(s, bodyStart));
      i = skipParens(s, i);
      if (i === -1) return false;
      if (inner !== undefined) out.push(inner);
      i = skipSpace(s, i);
      if (s.charCodeAt(i) !== 44) break;
      i = skipSpace(s, i + 1);
    }
    end = wordEnd(s, i);
  }
  const target = readDmlTarget(s, i, end);
  if (target !== undefined) out.push(target);
  // Bodies of `CREATE FUNCTION … BEGIN ATOMIC` hold `;`: text after a CREATE is not split into statements.
  return !isKeyword(s, i, end, 'create');
}

/**
 * Every INSERT, UPDATE and DELETE target in `sql`, in order: one per statement of a
 * multi-statement text, plus data-modifying `WITH` parts. Empty when there is none or
 * the text cannot be read.
 */
export function parseSqlTargets(sql: string): readonly SqlTarget[] {
  const out: SqlTarget[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const before = out.length;
    if (!readStatement(sql, i, out)) {
      if (i === 0) return out.length === 0 ? NONE : out;
      break;
    }
    const end = statementEnd(sql, i);
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
export function parseSqlTarget(sql: string): SqlTarget | undefined {
  const targets = parseSqlTargets(sql);
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
  constructor(private readonly limit = 1000) {}

  get(sql: string): readonly SqlTarget[] {
    let targets = this.entries.get(sql);
    if (targets !== undefined) return targets;
    targets = parseSqlTargets(sql);
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
