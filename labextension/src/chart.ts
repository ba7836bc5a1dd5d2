/** Pure geometry for the SVG sparklines and overlay charts. */

export interface IExtent {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

/** The extent of several series, ignoring null/NaN values; a flat range gets padding. */
export function extentOf(series: { xs: number[]; ys: (number | null)[] }[]): IExtent | null {
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const { xs, ys } of series) {
    ys.forEach((y, i) => {
      if (y === null || !isFinite(y)) {
        return;
      }
      xmin = Math.min(xmin, xs[i]);
      xmax = Math.max(xmax, xs[i]);
      ymin = Math.min(ymin, y);
      ymax = Math.max(ymax, y);
    });
  }
  if (!isFinite(xmin)) {
    return null;
  }
  if (xmin === xmax) {
    xmin -= 1;
    xmax += 1;
  }
  if (ymin === ymax) {
    const pad = Math.abs(ymin) * 0.05 || 1;
    ymin -= pad;
    ymax += pad;
  }
  return { xmin, xmax, ymin, ymax };
}

/** An SVG path (`M x y L x y ...`) of a series in a width x height box; gaps break the line. */
export function linePath(
  xs: number[],
  ys: (number | null)[],
  extent: IExtent,
  width: number,
  height: number,
  pad = 2
): string {
  const sx = (x: number) =>
    pad + ((x - extent.xmin) / (extent.xmax - extent.xmin)) * (width - 2 * pad);
  const sy = (y: number) =>
    height - pad - ((y - extent.ymin) / (extent.ymax - extent.ymin)) * (height - 2 * pad);
  let d = '';
  let pen = false;
  ys.forEach((y, i) => {
    if (y === null || !isFinite(y)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${sx(xs[i]).toFixed(1)} ${sy(y).toFixed(1)} `;
    pen = true;
  });
  return d.trim();
}

/** Colors for overlay series, from Lab's theme variables (fall back to fixed hues). */
export const SERIES_COLORS = [
  'var(--jp-brand-color1, #1976d2)',
  'var(--jp-warn-color1, #f57c00)',
  'var(--jp-success-color1, #388e3c)',
  'var(--jp-error-color1, #d32f2f)',
  'var(--jp-accent-color1, #7b1fa2)',
  'var(--jp-info-color0, #0097a7)'
];
