/**
 * Filter-box behaviour, kept pure: which text to send, when, and how to point at the error.
 */

/** What to send for a filter box value: trimmed, or undefined when empty. */
export function normalizeFilter(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed ? trimmed : undefined;
}

export interface IFilterError {
  message: string;
  /** 1-based column the parser reported, clamped into the text, or null. */
  column: number | null;
  /** The text split around the column, so the UI can underline the offending character. */
  before: string;
  at: string;
  after: string;
}

/**
 * Describe a parser error for inline display. The server reports a 1-based column (as the
 * parser's own messages do); a column past the end points just after the text.
 */
export function describeFilterError(
  text: string,
  message: string,
  column: number | null
): IFilterError {
  if (column === null || column === undefined || !isFinite(column)) {
    // Without a column field, the parser's text still has it: "... at column 7 (found ...)".
    const found = /at column (\d+)/.exec(message);
    if (!found) {
      return { message, column: null, before: text, at: '', after: '' };
    }
    column = parseInt(found[1], 10);
  }
  const index = Math.min(Math.max(Math.floor(column) - 1, 0), text.length);
  return {
    message,
    column: index + 1,
    before: text.slice(0, index),
    at: text.slice(index, index + 1) || ' ',
    after: text.slice(index + 1)
  };
}

/** Quote a value for the filter language (single quotes, doubled inside). */
export function quoteValue(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Keys with characters outside [A-Za-z0-9_] need backticks in the filter language. */
export function quoteKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `\`${key.replace(/`/g, '')}\``;
}

/** A filter clause selecting one param value, e.g. `params.model = 'rf'`. */
export function paramClause(key: string, value: string): string {
  return `params.${quoteKey(key)} = ${quoteValue(value)}`;
}

/** Add a clause to an existing filter with AND (no duplicate). */
export function addClause(filter: string, clause: string): string {
  const current = filter.trim();
  if (!current) {
    return clause;
  }
  if (current.includes(clause)) {
    return current;
  }
  return `${current} AND ${clause}`;
}

/** Some ready-made filters offered as examples under the search box. */
export const FILTER_EXAMPLES = [
  "attributes.status = 'RUNNING'",
  'metrics.accuracy > 0.8',
  "params.model = 'rf'",
  "tags.mltrack.source.type = 'NOTEBOOK'"
];
