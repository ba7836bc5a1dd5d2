/** Small shared React pieces: status badge, SVG sparkline/overlay, key-value tables, messages. */
import * as React from 'react';
import { extentOf, linePath, SERIES_COLORS } from './chart';
import { statusClass } from './format';

export function StatusBadge(props: { status: string }): JSX.Element {
  return (
    <span className={`mltrack-badge ${statusClass(props.status)}`} title={props.status}>
      {props.status.toLowerCase()}
    </span>
  );
}

export interface ISeries {
  label: string;
  xs: number[];
  ys: (number | null)[];
}

/** A tiny line chart without axes (metric tables). */
export function Sparkline(props: { xs: number[]; ys: (number | null)[] }): JSX.Element {
  const extent = extentOf([props]);
  const w = 96;
  const h = 22;
  return (
    <svg className="mltrack-sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-hidden>
      {extent && <path d={linePath(props.xs, props.ys, extent, w, h)} />}
    </svg>
  );
}

/** Several series over a shared extent, with min/max labels and a legend (SVG, no library). */
export function OverlayChart(props: { series: ISeries[]; xLabel?: string }): JSX.Element {
  const w = 640;
  const h = 220;
  const extent = extentOf(props.series);
  if (!extent) {
    return <div className="mltrack-muted">No values to plot.</div>;
  }
  return (
    <div className="mltrack-overlay">
      <svg width="100%" viewBox={`0 0 ${w} ${h + 16}`} role="img" aria-label="metric history">
        <rect className="mltrack-plot-bg" x={0} y={0} width={w} height={h} />
        {props.series.map((s, i) => (
          <path
            key={s.label}
            d={linePath(s.xs, s.ys, extent, w, h, 8)}
            stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
            className="mltrack-line"
          />
        ))}
        <text x={4} y={12} className="mltrack-axis">
          {formatTick(extent.ymax)}
        </text>
        <text x={4} y={h - 4} className="mltrack-axis">
          {formatTick(extent.ymin)}
        </text>
        <text x={w - 4} y={h + 12} textAnchor="end" className="mltrack-axis">
          {`${props.xLabel ?? 'step'} ${formatTick(extent.xmax)}`}
        </text>
      </svg>
      <div className="mltrack-legend">
        {props.series.map((s, i) => (
          <span key={s.label}>
            <i style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }} />
            {s.label}
          </span>
        ))}
      </div>
    </div>
  );
}

function formatTick(v: number): string {
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(2)
    : String(Number(v.toPrecision(4)));
}

/** A two-column table of a record (params, tags), keys sorted. */
export function KeyValueTable(props: {
  record: Record<string, string>;
  empty: string;
  className?: string;
}): JSX.Element {
  const keys = Object.keys(props.record).sort();
  if (!keys.length) {
    return <div className="mltrack-muted">{props.empty}</div>;
  }
  return (
    <table className={`mltrack-table ${props.className ?? ''}`}>
      <tbody>
        {keys.map(key => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{props.record[key]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A message block: errors say what to do; never a spinner that never ends. */
export function Message(props: { kind: 'error' | 'info'; children: React.ReactNode }): JSX.Element {
  return (
    <div className={`mltrack-message mltrack-message-${props.kind}`} role="status">
      {props.children}
    </div>
  );
}

export function Section(props: {
  title: string;
  children: React.ReactNode;
  actions?: React.ReactNode;
}): JSX.Element {
  return (
    <section className="mltrack-section">
      <header>
        <h3>{props.title}</h3>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}
