/** Pure diffing for Compare: params that differ, metric deltas, and a line diff of code. */

export interface IParamRow {
  key: string;
  values: (string | undefined)[];
  differs: boolean;
}

/** One row per param key over the runs; rows that differ come first, then by key. */
export function paramRows(runs: { params: Record<string, string> }[]): IParamRow[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(run.params).forEach(k => keys.add(k)));
  const rows = [...keys].map(key => {
    const values = runs.map(run => run.params[key]);
    return { key, values, differs: new Set(values).size > 1 };
  });
  return rows.sort((a, b) => Number(b.differs) - Number(a.differs) || a.key.localeCompare(b.key));
}

export interface IMetricRow {
  key: string;
  values: (number | null)[];
  deltas: (number | null)[];
}

/** Metric values per run with the delta of each against the baseline run (index). */
export function metricRows(
  runs: { metrics: Record<string, number | null> }[],
  baseline: number
): IMetricRow[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(run.metrics).forEach(k => keys.add(k)));
  return [...keys].sort().map(key => {
    const values = runs.map(run => (key in run.metrics ? run.metrics[key] : null));
    const base = values[baseline] ?? null;
    const deltas = values.map(v =>
      v === null || base === null || Number.isNaN(v) || Number.isNaN(base) ? null : v - base
    );
    return { key, values, deltas };
  });
}

export type DiffKind = 'same' | 'removed' | 'added' | 'changed';

export interface IDiffLine {
  kind: DiffKind;
  left: string | null;
  right: string | null;
  leftNo: number | null;
  rightNo: number | null;
}

/**
 * Side-by-side line diff (LCS). A removed line followed by an added one is shown as one
 * "changed" row, as side-by-side diff viewers do. Inputs beyond `maxLines` are cut (the
 * quadratic table must stay small in the browser).
 */
export function sideBySide(leftText: string, rightText: string, maxLines = 2000): IDiffLine[] {
  const a = leftText.split('\n').slice(0, maxLines);
  const b = rightText.split('\n').slice(0, maxLines);
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  const removed: number[] = [];
  const added: number[] = [];
  const flush = () => {
    const pairs = Math.max(removed.length, added.length);
    for (let k = 0; k < pairs; k++) {
      const l = removed[k];
      const r = added[k];
      out.push({
        kind: l !== undefined && r !== undefined ? 'changed' : l !== undefined ? 'removed' : 'added',
        left: l !== undefined ? a[l] : null,
        right: r !== undefined ? b[r] : null,
        leftNo: l !== undefined ? l + 1 : null,
        rightNo: r !== undefined ? r + 1 : null
      });
    }
    removed.length = 0;
    added.length = 0;
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      flush();
      out.push({ kind: 'same', left: a[i], right: b[j], leftNo: i + 1, rightNo: j + 1 });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      added.push(j++);
    } else {
      removed.push(i++);
    }
  }
  flush();
  return out;
}
