import { describe, expect, it } from 'vitest';
import { metricRows, paramRows, sideBySide } from '../src/diff';
import { extentOf, linePath } from '../src/chart';
import { parseCsv } from '../src/csv';

describe('compare', () => {
  const runs = [
    { params: { lr: '0.1', model: 'rf' }, metrics: { acc: 0.8, loss: 0.5 } },
    { params: { lr: '0.3', model: 'rf', depth: '4' }, metrics: { acc: 0.9 } }
  ];

  it('puts params that differ first, missing values count as different', () => {
    const rows = paramRows(runs);
    expect(rows.map(r => [r.key, r.differs])).toEqual([
      ['depth', true],
      ['lr', true],
      ['model', false]
    ]);
    expect(rows[0].values).toEqual([undefined, '4']);
  });

  it('computes metric deltas against the baseline', () => {
    const rows = metricRows(runs, 0);
    expect(rows[0].key).toBe('acc');
    expect(rows[0].deltas[1]).toBeCloseTo(0.1);
    expect(rows[0].deltas[0]).toBe(0);
    expect(rows[1].values).toEqual([0.5, null]);
    expect(rows[1].deltas).toEqual([0, null]);
  });
});

describe('sideBySide', () => {
  it('pairs a removed and an added line as one changed row', () => {
    const lines = sideBySide('a\nb\nc', 'a\nB\nc\nd');
    expect(lines.map(l => l.kind)).toEqual(['same', 'changed', 'same', 'added']);
    expect(lines[1]).toMatchObject({ left: 'b', right: 'B', leftNo: 2, rightNo: 2 });
    expect(lines[3]).toMatchObject({ left: null, right: 'd', rightNo: 4 });
  });

  it('shows removals and identical texts', () => {
    expect(sideBySide('x\ny', 'y').map(l => l.kind)).toEqual(['removed', 'same']);
    expect(sideBySide('same', 'same')).toHaveLength(1);
  });
});

describe('charts', () => {
  it('skips NaN/null points and breaks the line there', () => {
    const extent = extentOf([{ xs: [0, 1, 2, 3], ys: [0, null, 1, 2] }])!;
    expect(extent).toMatchObject({ xmin: 0, xmax: 3, ymin: 0, ymax: 2 });
    const d = linePath([0, 1, 2, 3], [0, null, 1, 2], extent, 100, 20, 0);
    expect(d.split('M')).toHaveLength(3);
    expect(d.startsWith('M0.0 20.0')).toBe(true);
  });

  it('pads a flat series and has no extent without values', () => {
    expect(extentOf([{ xs: [1], ys: [5] }])).toMatchObject({ xmin: 0, xmax: 2 });
    expect(extentOf([{ xs: [1], ys: [null] }])).toBeNull();
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"']
    ]);
    expect(parseCsv('1\n2\n3', 2)).toEqual([['1'], ['2']]);
  });
});
