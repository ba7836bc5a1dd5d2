/** Run details (main area): info, params, metrics with sparklines, tags, artifacts, source. */
import { Clipboard, MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Poll } from '@lumino/polling';
import * as React from 'react';
import { api, IArtifact, IHistory, IRunDetails } from './api';
import { viewable } from './artifacts';
import { KeyValueTable, Message, Section, Sparkline, StatusBadge } from './components';
import { formatBytes, formatDuration, formatMetric, formatTime, isActive, runDuration } from './format';
import { MetricChart } from './plot';

const MAX_SPARKLINES = 30;
const HISTORY_REFRESH_MS = 10_000;

export interface IRunViewOptions {
  runId: string;
  commands: CommandRegistry;
  rendermime: IRenderMimeRegistry | null;
  /** The experiment's name when the sidebar knows it. */
  experimentName?: (experimentId: string) => string | undefined;
}

export class RunView extends ReactWidget {
  constructor(readonly options: IRunViewOptions) {
    super();
    this.addClass('mltrack-run-view');
    this.poll = new Poll({
      factory: () => this.load(),
      frequency: { interval: 2000, backoff: true, max: 30_000 },
      name: 'mltrack:run',
      standby: () => (this.run !== null && !isActive(this.run.status)) || 'when-hidden'
    });
    void this.load();
  }

  run: IRunDetails | null = null;
  error: string | null = null;
  histories = new Map<string, IHistory>();
  chartKey: string | null = null;
  folders = new Map<string, IArtifact[]>();
  openFolders = new Set<string>();
  private historiesAt = 0;

  async load(): Promise<void> {
    try {
      this.run = await api.run(this.options.runId);
      this.error = null;
      this.titleChanged?.(this.run);
      // Histories cost one request per metric: while the run is active, refresh them every
      // 10 s, not at every 2 s tick of the run itself.
      if (Date.now() - this.historiesAt >= HISTORY_REFRESH_MS || !isActive(this.run.status)) {
        this.historiesAt = Date.now();
        const keys = this.run.metric_keys.slice(0, MAX_SPARKLINES);
        const histories = await Promise.all(keys.map(k => api.history(this.run!.run_id, k, 200)));
        histories.forEach(h => this.histories.set(h.key, h));
      }
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.update();
  }

  titleChanged: ((run: IRunDetails) => void) | null = null;

  dispose(): void {
    this.poll.dispose();
    super.dispose();
  }

  render(): JSX.Element {
    if (this.error) {
      return <Message kind="error">{this.error}</Message>;
    }
    const run = this.run;
    if (!run) {
      return <div className="mltrack-muted">Loading run…</div>;
    }
    const name = run.run_name || run.run_id;
    return (
      <div className="mltrack-page">
        <header className="mltrack-page-header">
          <h1>
            <StatusBadge status={run.status} />
            <span className="mltrack-title-text">{name}</span>
          </h1>
          <div className="mltrack-actions">
            {run.source.notebook_path && (
              <button className="jp-mod-styled" onClick={() => this.openSource()}>
                Open notebook
              </button>
            )}
            <button
              className="jp-mod-styled"
              disabled={!run.source.notebook_path}
              title={run.source.notebook_path ? '' : 'The run has no source notebook'}
              onClick={() =>
                void this.options.commands.execute('mltrack:run-as-project', {
                  path: run.source.notebook_path ?? '',
                  runId: run.run_id
                })
              }
            >
              Re-run with changes…
            </button>
            <button
              className="jp-mod-styled"
              onClick={() => void Clipboard.copyToSystem(run.run_id)}
              title="Copy the run id"
            >
              Copy run id
            </button>
          </div>
        </header>
        {this.renderInfo(run)}
        <Section title="Parameters">
          <KeyValueTable record={run.params} empty="No parameters." className="mltrack-params" />
        </Section>
        {this.renderMetrics(run)}
        <Section title="Tags">
          <KeyValueTable
            record={Object.fromEntries(
              Object.entries(run.tags).filter(([k]) => !k.startsWith('mltrack.source.cell'))
            )}
            empty="No tags."
          />
        </Section>
        {this.renderArtifacts(run)}
        {this.renderSource(run)}
      </div>
    );
  }

  private renderInfo(run: IRunDetails): JSX.Element {
    const rows: [string, React.ReactNode][] = [
      ['Run id', <code>{run.run_id}</code>],
      ['Experiment', this.options.experimentName?.(run.experiment_id) ?? run.experiment_id],
      ['Status', run.status],
      ['Started', formatTime(run.start_time)],
      ['Duration', formatDuration(runDuration(run.start_time, run.end_time))],
      ['Notebook', run.source.notebook_path ?? '—']
    ];
    if (run.parent_run_id) {
      rows.push([
        'Parent run',
        <button
          className="mltrack-link-button"
          onClick={() =>
            void this.options.commands.execute('mltrack:open-run', { runId: run.parent_run_id })
          }
        >
          {run.parent_run_id}
        </button>
      ]);
    }
    return (
      <Section title="Run">
        <table className="mltrack-table mltrack-info">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    );
  }

  private renderMetrics(run: IRunDetails): JSX.Element {
    const keys = Object.keys(run.metrics).sort();
    const chart = this.chartKey ? this.histories.get(this.chartKey) : undefined;
    return (
      <Section title="Metrics">
        {!keys.length && <div className="mltrack-muted">No metrics.</div>}
        {keys.length > 0 && (
          <table className="mltrack-table mltrack-metrics">
            <tbody>
              {keys.map(key => {
                const h = this.histories.get(key);
                return (
                  <tr key={key} className={this.chartKey === key ? 'mltrack-selected' : ''}>
                    <th scope="row">
                      <button
                        className="mltrack-link-button"
                        title="Show the history"
                        onClick={() => {
                          this.chartKey = this.chartKey === key ? null : key;
                          this.update();
                        }}
                      >
                        {key}
                      </button>
                    </th>
                    <td className="mltrack-num">{formatMetric(run.metrics[key])}</td>
                    <td>{h && h.steps.length > 1 && <Sparkline xs={h.steps} ys={h.values} />}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {chart && (
          <MetricChart
            rendermime={this.options.rendermime}
            title={chart.key}
            series={[{ label: chart.key, xs: chart.steps, ys: chart.values }]}
          />
        )}
      </Section>
    );
  }

  private renderArtifacts(run: IRunDetails): JSX.Element {
    return (
      <Section title="Artifacts">
        {!run.artifacts.length && <div className="mltrack-muted">No artifacts.</div>}
        <ul className="mltrack-artifacts">{run.artifacts.map(a => this.renderArtifact(a))}</ul>
      </Section>
    );
  }

  private renderArtifact(a: IArtifact): JSX.Element {
    const name = a.path.split('/').pop() ?? a.path;
    if (a.is_dir) {
      const open = this.openFolders.has(a.path);
      const children = this.folders.get(a.path) ?? [];
      return (
        <li key={a.path}>
          <button className="mltrack-link-button" onClick={() => void this.toggleFolder(a.path)}>
            {open ? '▾' : '▸'} {name}/
          </button>
          {open && <ul>{children.map(c => this.renderArtifact(c))}</ul>}
        </li>
      );
    }
    return (
      <li key={a.path}>
        {viewable(a.path) ? (
          <button
            className="mltrack-link-button"
            onClick={() =>
              void this.options.commands.execute('mltrack:open-artifact', {
                runId: this.options.runId,
                path: a.path
              })
            }
          >
            {name}
          </button>
        ) : (
          <span>{name}</span>
        )}
        <span className="mltrack-muted"> {formatBytes(a.file_size)}</span>
      </li>
    );
  }

  private async toggleFolder(path: string): Promise<void> {
    if (!this.openFolders.delete(path)) {
      this.openFolders.add(path);
      if (!this.folders.has(path)) {
        try {
          this.folders.set(path, (await api.artifacts(this.options.runId, path)).files);
        } catch (error) {
          this.error = (error as Error).message;
        }
      }
    }
    this.update();
  }

  private renderSource(run: IRunDetails): JSX.Element | null {
    const { cell_source, slice_source } = run.source;
    if (!cell_source && !slice_source) {
      return null;
    }
    return (
      <Section title="Code">
        {cell_source && (
          <>
            <h4>Tracked cell{run.source.cell_index !== null ? ` (cell ${run.source.cell_index + 1})` : ''}</h4>
            <pre className="mltrack-code">{cell_source}</pre>
          </>
        )}
        {slice_source && (
          <>
            <h4>Execution slice (the code this cell depended on)</h4>
            <pre className="mltrack-code">{slice_source}</pre>
          </>
        )}
      </Section>
    );
  }

  private openSource(): void {
    const run = this.run;
    if (run?.source.notebook_path) {
      void this.options.commands.execute('mltrack:open-source', {
        path: run.source.notebook_path,
        cellIndex: run.source.cell_index ?? -1
      });
    }
  }

  private poll: Poll;
}

/** A main-area tab with the details of one run. */
export function createRunWidget(options: IRunViewOptions): MainAreaWidget<RunView> {
  const content = new RunView(options);
  const widget = new MainAreaWidget({ content });
  widget.id = `mltrack-run-${options.runId}`;
  widget.title.label = `Run ${options.runId.slice(0, 8)}`;
  widget.title.closable = true;
  content.titleChanged = run => {
    widget.title.label = run.run_name || run.run_id.slice(0, 8);
    widget.title.caption = `Run ${run.run_id}`;
  };
  return widget;
}
