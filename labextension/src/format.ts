/** Pure formatting helpers: no DOM, no Lab imports, so they are unit-tested directly. */

/** `1h 02m`, `3m 05s`, `42s`, `850 ms`; '' for a missing or negative span. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !isFinite(ms) || ms < 0) {
    return '';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) {
    return `${h}h ${pad(m)}m`;
  }
  if (m > 0) {
    return `${m}m ${pad(s)}s`;
  }
  return `${s}s`;
}

/** The run's duration: end - start, or now - start while it runs. */
export function runDuration(
  start: number | null,
  end: number | null,
  now: number = Date.now()
): number | null {
  if (start === null || start === undefined) {
    return null;
  }
  return (end ?? now) - start;
}

/** A compact metric value: 4 significant digits, exponent for tiny/huge, 'NaN' for null. */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return 'NaN';
  }
  if (!isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e9) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(4)));
}

/** A signed delta (`+0.012`, `-3`), '' when either side is missing. */
export function formatDelta(value: number | null, baseline: number | null): string {
  if (value === null || baseline === null || Number.isNaN(value) || Number.isNaN(baseline)) {
    return '';
  }
  const delta = value - baseline;
  if (delta === 0) {
    return '±0';
  }
  return (delta > 0 ? '+' : '') + formatMetric(delta);
}

/** `2024-05-01 13:04` in local time, or relative (`5 min ago`) when recent. */
export function formatTime(ms: number | null | undefined, now: number = Date.now()): string {
  if (ms === null || ms === undefined || !isFinite(ms)) {
    return '';
  }
  const ago = now - ms;
  if (ago >= 0 && ago < 60_000) {
    return 'just now';
  }
  if (ago >= 0 && ago < 3_600_000) {
    return `${Math.floor(ago / 60_000)} min ago`;
  }
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

/** Byte sizes as `512 B`, `1.2 KB`, `3.4 MB`. */
export function formatBytes(size: number | null | undefined): string {
  if (size === null || size === undefined) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Lower-case status for CSS classes (`mltrack-status-running`). */
export function statusClass(status: string): string {
  return `mltrack-status-${status.toLowerCase()}`;
}

/** Whether a run is still going (polling continues while any shown run is). */
export function isActive(status: string): boolean {
  return status === 'RUNNING' || status === 'SCHEDULED';
}

/** The metric keys to show as columns: chosen ones first, then the most common, at most n. */
export function pickMetricKeys(
  runs: { metrics: Record<string, unknown> }[],
  chosen: string[],
  n = 3
): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const key of Object.keys(run.metrics)) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const picked = chosen.filter(key => counts.has(key));
  const rest = [...counts.entries()]
    .filter(([key]) => !picked.includes(key))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key]) => key);
  return [...picked, ...rest].slice(0, n);
}

/** Shorten a run id for display (`a1b2c3d4…`). */
export function shortId(id: string, n = 8): string {
  return id.length > n ? `${id.slice(0, n)}…` : id;
}
