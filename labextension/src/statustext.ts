/** The status bar text of a run (pure, unit-tested). */
import { formatDuration, formatMetric, runDuration } from './format';

/** `name · 1m 05s · loss 0.123`: name, elapsed, and the last metric key's latest value. */
export function statusText(
  run: {
    run_name: string;
    run_id: string;
    start_time: number | null;
    metrics: Record<string, number | null>;
  },
  now: number = Date.now()
): string {
  const parts = [run.run_name || run.run_id.slice(0, 8)];
  const elapsed = formatDuration(runDuration(run.start_time, null, now));
  if (elapsed) {
    parts.push(elapsed);
  }
  const keys = Object.keys(run.metrics).sort();
  if (keys.length) {
    const key = keys[keys.length - 1];
    parts.push(`${key} ${formatMetric(run.metrics[key])}`);
  }
  return parts.join(' · ');
}
