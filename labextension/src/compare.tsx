/** Compare 2+ runs: differing params first, metric deltas, overlay, code diff, insert as cell. */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { api, IHistory, IRunDetails } from './api';
import { Message, Section, StatusBadge } from './components';
import { IDiffLine, metricRows, paramRows, sideBySide } from './diff';
import { formatDelta, formatMetric } from './format';
import { MetricChart } from './plot';

export class CompareView extends ReactWidget {
  constructor(
    readonly runIds: string[],
    private commands: CommandRegistry,
    private rendermime: IRenderMimeRegistry | null
  ) {
    super();
    this.addClass('mltrack-compare-view');
    void this.load();
  }

  runs: IRunDetails[] = [];
  error: string | null = null;
  baseline = 0;
  other = 1;
  onlyDifferences = false;
  metricKey: string | null = null;
  histories: IHistory[] = [];

  async load(): Promise<void> {
    try {
      this.runs = await Promise.all(this.runIds.map(id => api.run(id)));
      const keys = metricRows(this.runs, 0).map(r => r.key);
      if (keys.length) {
        await this.showMetric(keys[0]);
      }
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.update();
  }

  async showMetric(key: string): Promise<void> {
    this.metricKey = key;
    this.histories = await Promise.all(
      this.runs.filter(r => key in r.metrics).map(r => api.history(r.run_id, key, 500))
    );
    this.update();
  }

  label(index: number): string {
    const run = this.runs[index];
    return run.run_name || run.run_id.slice(0, 8);
  }

  render(): JSX.Element {
    if (this.error) {
      return <Message kind="error">{this.error}</Message>;
    }
    if (!this.runs.length) {
      return <div className="mltrack-muted">Loading runs…</div>;
    }
    return (
      <div className="mltrack-page">
        <header className="mltrack-page-header">
          <h1>Compare {this.runs.length} runs</h1>
          <div className="mltrack-actions">
            <label>
              Baseline{' '}
              <select
                className="jp-mod-styled"
                value={this.baseline}
                aria-label="Baseline run"
                onChange={e => {
                  this.baseline = Number(e.target.value);
                  this.update();
                }}
              >
                {this.runs.map((r, i) => (
                  <option key={r.run_id} value={i}>
                    {this.label(i)}
                  </option>
                ))}
              </select>
            </label>
            <button
              className="jp-mod-styled jp-mod-accept"
              title="Add a RunComparison cell below the active cell of the current notebook"
              onClick={() =>
                void this.commands.execute('mltrack:insert-comparison', { runIds: this.runIds })
              }
            >
              Insert as cell
            </button>
          </div>
        </header>
        {this.renderParams()}
        {this.renderMetrics()}
        {this.renderOverlay()}
        {this.renderCode()}
      </div>
    );
  }

  private renderHead(): JSX.Element {
    return (
      <thead>
        <tr>
          <th />
          {this.runs.map((r, i) => (
            <th key={r.run_id} className={i === this.baseline ? 'mltrack-baseline' : ''}>
              <StatusBadge status={r.status} />
              <button
                className="mltrack-link-button mltrack-run-name"
                onClick={() => void this.commands.execute('mltrack:open-run', { runId: r.run_id })}
              >
                {this.label(i)}
              </button>
            </th>
          ))}
        </tr>
      </thead>
    );
  }

  private renderParams(): JSX.Element {
    const rows = paramRows(this.runs).filter(r => r.differs || !this.onlyDifferences);
    const toggle = (
      <label className="mltrack-toggle">
        <input
          type="checkbox"
          checked={this.onlyDifferences}
          onChange={() => {
            this.onlyDifferences = !this.onlyDifferences;
            this.update();
          }}
        />
        Only differences
      </label>
    );
    return (
      <Section title="Parameters" actions={toggle}>
        <table className="mltrack-table mltrack-grid mltrack-compare-params">
          {this.renderHead()}
          <tbody>
            {rows.map(row => (
              <tr key={row.key} className={row.differs ? 'mltrack-differs' : ''}>
                <th scope="row">{row.key}</th>
                {row.values.map((v, i) => (
                  <td key={i}>{v ?? '—'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    );
  }

  private renderMetrics(): JSX.Element {
    const rows = metricRows(this.runs, this.baseline);
    return (
      <Section title={`Metrics (Δ against ${this.label(this.baseline)})`}>
        <table className="mltrack-table mltrack-grid mltrack-compare-metrics">
          {this.renderHead()}
          <tbody>
            {rows.map(row => (
              <tr key={row.key}>
                <th scope="row">
                  <button className="mltrack-link-button" onClick={() => void this.showMetric(row.key)}>
                    {row.key}
                  </button>
                </th>
                {row.values.map((v, i) => {
                  const base = row.values[this.baseline];
                  const delta = i === this.baseline ? '' : formatDelta(v, base);
                  const sign = row.deltas[i] === null || i === this.baseline ? 0 : Math.sign(row.deltas[i]!);
                  return (
                    <td key={i} className="mltrack-num">
                      {v === null ? '—' : formatMetric(v)}
                      {delta && <span className={`mltrack-delta mltrack-delta-${sign}`}> {delta}</span>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    );
  }

  private renderOverlay(): JSX.Element | null {
    if (!this.metricKey) {
      return null;
    }
    const label = (runId: string) => {
      const i = this.runs.findIndex(r => r.run_id === runId);
      return i >= 0 ? this.label(i) : runId;
    };
    const series = this.histories.map(h => ({ label: label(h.run_id), xs: h.steps, ys: h.values }));
    return (
      <Section title={`History of ${this.metricKey}`}>
        <MetricChart rendermime={this.rendermime} title={this.metricKey} series={series} />
      </Section>
    );
  }

  private renderCode(): JSX.Element {
    const other = this.other === this.baseline ? (this.baseline + 1) % this.runs.length : this.other;
    const left = this.runs[this.baseline].source.cell_source ?? '';
    const right = this.runs[other].source.cell_source ?? '';
    const picker = (
      <select
        className="jp-mod-styled"
        aria-label="Run to diff against the baseline"
        value={other}
        onChange={e => {
          this.other = Number(e.target.value);
          this.update();
        }}
      >
        {this.runs.map((r, i) =>
          i === this.baseline ? null : (
            <option key={r.run_id} value={i}>
              {this.label(i)}
            </option>
          )
        )}
      </select>
    );
    return (
      <Section title="Tracked cell code" actions={picker}>
        {!left && !right ? (
          <div className="mltrack-muted">These runs have no recorded cell source.</div>
        ) : (
          <DiffTable lines={sideBySide(left, right)} left={this.label(this.baseline)} right={this.label(other)} />
        )}
      </Section>
    );
  }
}

function DiffTable(props: { lines: IDiffLine[]; left: string; right: string }): JSX.Element {
  return (
    <table className="mltrack-diff">
      <thead>
        <tr>
          <th colSpan={2}>{props.left}</th>
          <th colSpan={2}>{props.right}</th>
        </tr>
      </thead>
      <tbody>
        {props.lines.map((line, i) => (
          <tr key={i} className={`mltrack-diff-${line.kind}`}>
            <td className="mltrack-lineno">{line.leftNo ?? ''}</td>
            <td className="mltrack-diff-left">{line.left ?? ''}</td>
            <td className="mltrack-lineno">{line.rightNo ?? ''}</td>
            <td className="mltrack-diff-right">{line.right ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function createCompareWidget(
  runIds: string[],
  commands: CommandRegistry,
  rendermime: IRenderMimeRegistry | null
): MainAreaWidget<CompareView> {
  const content = new CompareView(runIds, commands, rendermime);
  const widget = new MainAreaWidget({ content });
  widget.id = `mltrack-compare-${runIds.join('-').slice(0, 200)}`;
  widget.title.label = `Compare ${runIds.length} runs`;
  widget.title.closable = true;
  return widget;
}
