import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDelta,
  formatDuration,
  formatMetric,
  formatTime,
  isActive,
  pickMetricKeys,
  runDuration,
  shortId,
  statusClass
} from '../src/format';
import { statusText } from '../src/statustext';

describe('formatDuration', () => {
  it.each([
    [null, ''],
    [-5, ''],
    [850, '850 ms'],
    [42_000, '42s'],
    [185_000, '3m 05s'],
    [3_720_000, '1h 02m']
  ])('%s ms -> %s', (ms, text) => {
    expect(formatDuration(ms as number | null)).toBe(text);
  });

  it('measures a running run up to now', () => {
    expect(runDuration(1000, null, 61_000)).toBe(60_000);
    expect(runDuration(1000, 3000, 61_000)).toBe(2000);
    expect(runDuration(null, 3000)).toBeNull();
  });
});

describe('formatMetric', () => {
  it.each([
    [null, 'NaN'],
    [NaN, 'NaN'],
    [Infinity, '∞'],
    [3, '3'],
    [0.123456, '0.1235'],
    [0.00001234, '1.23e-5'],
    [12345678.9, '1.23e+7'],
    [-0.5, '-0.5']
  ])('%s -> %s', (value, text) => {
    expect(formatMetric(value as number | null)).toBe(text);
  });

  it('signs deltas and leaves missing ones empty', () => {
    expect(formatDelta(0.9, 0.8)).toBe('+0.1');
    expect(formatDelta(0.7, 0.8)).toBe('-0.1');
    expect(formatDelta(1, 1)).toBe('±0');
    expect(formatDelta(null, 1)).toBe('');
  });
});

describe('formatTime', () => {
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);
  it('is relative when recent and absolute otherwise', () => {
    expect(formatTime(now - 10_000, now)).toBe('just now');
    expect(formatTime(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatTime(now - 86_400_000, now)).toMatch(/^2026-01-0\d \d\d:\d\d$/);
    expect(formatTime(null, now)).toBe('');
  });
});

describe('small helpers', () => {
  it('formats sizes, statuses and ids', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(statusClass('RUNNING')).toBe('mltrack-status-running');
    expect(isActive('RUNNING')).toBe(true);
    expect(isActive('FINISHED')).toBe(false);
    expect(shortId('0123456789abcdef')).toBe('01234567…');
  });

  it('picks chosen metric keys first, then the most common, at most three', () => {
    const runs = [
      { metrics: { acc: 1, loss: 2, f1: 3, auc: 4 } },
      { metrics: { acc: 1, loss: 2 } },
      { metrics: { acc: 1 } }
    ];
    expect(pickMetricKeys(runs, [])).toEqual(['acc', 'loss', 'auc']);
    expect(pickMetricKeys(runs, ['f1', 'missing'])).toEqual(['f1', 'acc', 'loss']);
  });

  it('builds the status bar text: name · elapsed · last metric', () => {
    const run = { run_name: 'sweep-1', run_id: 'abc', start_time: 0, metrics: { acc: 0.5, loss: 0.25 } };
    expect(statusText(run, 65_000)).toBe('sweep-1 · 1m 05s · loss 0.25');
    expect(statusText({ ...run, run_name: '', metrics: {} }, 1000)).toBe('abc · 1s');
  });
});
