/** Pure edits of notebook cell sources used by the commands (unit-tested). */

export const TRACK_MAGIC = '%%track';
export const LOAD_EXT = '%load_ext jupyter_mltrack';

/** Prepend `%%track` to a code cell's source unless it already starts with it. */
export function addTrackMagic(source: string): string {
  if (source.trimStart().startsWith(TRACK_MAGIC)) {
    return source;
  }
  return source ? `${TRACK_MAGIC}\n${source}` : `${TRACK_MAGIC}\n`;
}

/** Whether a source loads the extension (any line `%load_ext jupyter_mltrack`). */
export function hasLoadExt(source: string): boolean {
  return source.split('\n').some(line => /^\s*%load_ext\s+jupyter_mltrack\s*$/.test(line));
}

/** The first cell's new source, or null when it already loads the extension. */
export function withLoadExt(firstSource: string): string | null {
  if (hasLoadExt(firstSource)) {
    return null;
  }
  return firstSource ? `${LOAD_EXT}\n${firstSource}` : LOAD_EXT;
}

/**
 * Where `%load_ext jupyter_mltrack` goes: nowhere when the first cell has it; prepended to a
 * first code cell; in a new cell above otherwise (markdown first cell, or a first cell that
 * starts with a cell magic, which must stay on the first line — `%%track` itself included).
 */
export function loadExtPlan(firstSource: string, firstType: string): 'none' | 'prepend' | 'insert' {
  if (firstType === 'code' && hasLoadExt(firstSource)) {
    return 'none';
  }
  if (firstType !== 'code' || firstSource.trimStart().startsWith('%%')) {
    return 'insert';
  }
  return 'prepend';
}

/** The code of an "Insert as cell" comparison. Run ids are hex, but quote them safely anyway. */
export function comparisonCell(runIds: string[]): string {
  const ids = runIds.map(id => JSON.stringify(id)).join(', ');
  return `from jupyter_mltrack.widgets import RunComparison\n\nRunComparison([${ids}])`;
}

/** Parse a parameter value typed in a dialog according to its papermill type. */
export function parseParameter(text: string, type: string): unknown {
  const t = type.toLowerCase();
  const trimmed = text.trim();
  if (t === 'int' && /^[-+]?\d+$/.test(trimmed)) {
    return parseInt(trimmed, 10);
  }
  if (t === 'float' && trimmed !== '' && !isNaN(Number(trimmed))) {
    return Number(trimmed);
  }
  if (t === 'bool') {
    if (/^(true|1|yes)$/i.test(trimmed)) {
      return true;
    }
    if (/^(false|0|no)$/i.test(trimmed)) {
      return false;
    }
  }
  if (t === 'str') {
    return text;
  }
  if (['list', 'dict', 'none', 'nonetype'].includes(t)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/** How a default value is shown in a dialog's text input. */
export function showParameter(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  return value === undefined ? '' : JSON.stringify(value);
}
