/** The Experiments sidebar: experiments → runs, filter box, paging, selection and Compare. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message as LuminoMessage } from '@lumino/messaging';
import * as React from 'react';
import { IExperiment, IRun } from './api';
import { Message, StatusBadge } from './components';
import { FILTER_EXAMPLES } from './filter';
import { formatDuration, formatMetric, formatTime, runDuration } from './format';
import { experimentsIcon, registryIcon } from './icons';
import { IRunsState, PAGE_SIZE, SidebarModel } from './model';

export const SIDEBAR_ID = 'mltrack-sidebar';

export class ExperimentsSidebar extends ReactWidget {
  constructor(
    readonly model: SidebarModel,
    private commands: CommandRegistry
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.title.icon = experimentsIcon;
    this.title.caption = 'Experiments';
    this.title.label = '';
    this.addClass('mltrack-sidebar');
    model.changed.connect(() => this.update(), this);
  }

  protected onAfterShow(msg: LuminoMessage): void {
    super.onAfterShow(msg);
    this.model.setVisible(true);
    if (!this.loaded) {
      this.loaded = true;
      void this.model.loadExperiments();
    }
  }

  protected onAfterHide(msg: LuminoMessage): void {
    super.onAfterHide(msg);
    this.model.setVisible(false);
  }

  render(): JSX.Element {
    const m = this.model;
    const health = m.health.state;
    return (
      <div className="mltrack-sidebar-body">
        <div className="mltrack-sidebar-header">
          <h2>Experiments</h2>
          <button
            className="mltrack-icon-button"
            title="Open the model registry"
            aria-label="Open the model registry"
            onClick={() => void this.commands.execute('mltrack:open-registry')}
          >
            <registryIcon.react tag="span" />
          </button>
          <button
            className="mltrack-icon-button"
            title="Refresh"
            aria-label="Refresh"
            onClick={() => void m.loadExperiments()}
          >
            <refreshIcon.react tag="span" />
          </button>
        </div>
        {health.kind === 'error' ? (
          <Message kind="error">{health.message}</Message>
        ) : (
          this.renderBody()
        )}
      </div>
    );
  }

  private renderBody(): JSX.Element {
    const m = this.model;
    return (
      <>
        <FilterBox model={m} />
        <div className="mltrack-toolbar">
          <button
            className={`jp-mod-styled mltrack-compare-button ${m.selected.size >= 2 ? 'jp-mod-accept' : ''}`}
            disabled={m.selected.size < 2}
            title="Compare the selected runs"
            onClick={() =>
              void this.commands.execute('mltrack:compare', { runIds: [...m.selected] })
            }
          >
            Compare ({m.selected.size})
          </button>
          {m.selected.size > 0 && (
            <button className="jp-mod-styled mltrack-link-button" onClick={() => m.clearSelection()}>
              Clear
            </button>
          )}
          <button
            className="jp-mod-styled mltrack-link-button mltrack-metrics-button"
            title="Choose up to three metrics to show per run"
            onClick={() => this.chooseMetrics()}
          >
            Metrics…
          </button>
        </div>
        {m.experimentsError && <Message kind="error">{m.experimentsError}</Message>}
        {m.health.state.kind === 'pending' && !m.experimentsError && (
          <div className="mltrack-muted">Checking the server extension…</div>
        )}
        {m.health.state.kind === 'ok' && !m.experiments.length && !m.experimentsError && (
          <Message kind="info">
            No experiments yet. Track a cell with <code>%%track</code> (command “Track this cell”).
          </Message>
        )}
        <ul className="mltrack-experiments" role="tree" aria-label="Experiments">
          {m.experiments.map(e => this.renderExperiment(e))}
        </ul>
      </>
    );
  }

  private renderExperiment(e: IExperiment): JSX.Element {
    const open = this.model.expanded.has(e.experiment_id);
    const state = this.model.runs.get(e.experiment_id);
    return (
      <li key={e.experiment_id} role="treeitem" aria-expanded={open} className="mltrack-experiment">
        <button
          className="mltrack-experiment-header"
          data-experiment-id={e.experiment_id}
          onClick={() => this.model.toggle(e.experiment_id)}
        >
          <span className={`mltrack-caret ${open ? 'mltrack-open' : ''}`} aria-hidden>
            ▸
          </span>
          <span className="mltrack-experiment-name">{e.name}</span>
          {open && state && <span className="mltrack-count">{state.total}</span>}
        </button>
        {open && state && this.renderRuns(e.experiment_id, state)}
      </li>
    );
  }

  private renderRuns(experimentId: string, state: IRunsState): JSX.Element {
    const keys = this.model.metricKeys();
    const first = state.previous.length * PAGE_SIZE;
    return (
      <div className="mltrack-runs">
        {state.error && <Message kind="error">{state.error}</Message>}
        {!state.runs.length && !state.loading && !state.error && (
          <div className="mltrack-muted mltrack-indent">No runs match.</div>
        )}
        {state.runs.length > 0 && (
          <ul className="mltrack-run-list" aria-label="Runs">
            {state.runs.map(run => this.renderRun(run, keys))}
          </ul>
        )}
        {(state.next || state.previous.length > 0) && (
          <div className="mltrack-pager">
            <button
              className="jp-mod-styled mltrack-link-button"
              disabled={!state.previous.length}
              onClick={() => this.model.previousPage(experimentId)}
              aria-label="Previous page"
            >
              ‹ Prev
            </button>
            <span>
              {first + 1}–{first + state.runs.length} of {state.total}
            </span>
            <button
              className="jp-mod-styled mltrack-link-button"
              disabled={!state.next}
              onClick={() => this.model.nextPage(experimentId)}
              aria-label="Next page"
            >
              Next ›
            </button>
          </div>
        )}
      </div>
    );
  }

  private renderRun(run: IRun, keys: string[]): JSX.Element {
    const selected = this.model.selected.has(run.run_id);
    const classes = ['mltrack-run-row', `mltrack-run-${run.run_id}`];
    if (selected) {
      classes.push('mltrack-selected');
    }
    if (this.model.highlighted.has(run.run_id)) {
      classes.push('mltrack-highlighted');
    }
    const name = run.run_name || run.run_id;
    const duration = formatDuration(runDuration(run.start_time, run.end_time));
    return (
      <li key={run.run_id} className={classes.join(' ')} data-run-id={run.run_id}>
        <input
          type="checkbox"
          checked={selected}
          aria-label={`Select ${name}`}
          onChange={() => this.model.toggleSelected(run.run_id)}
        />
        <div className="mltrack-run-main">
          <div className="mltrack-run-line">
            <StatusBadge status={run.status} />
            <button
              className="mltrack-run-name"
              title={`${name} (${run.run_id})`}
              onClick={() => void this.commands.execute('mltrack:open-run', { runId: run.run_id })}
            >
              {name}
            </button>
            <span className="mltrack-run-duration" title="Duration">
              {duration}
            </span>
          </div>
          <div className="mltrack-run-meta">
            <span title="Started">{formatTime(run.start_time)}</span>
            {keys
              .filter(k => k in run.metrics)
              .map(k => (
                <span key={k} className="mltrack-run-metric" title={k}>
                  <span className="mltrack-metric-key">{k}</span> {formatMetric(run.metrics[k])}
                </span>
              ))}
          </div>
        </div>
      </li>
    );
  }

  private async chooseMetrics(): Promise<void> {
    const keys = [...new Set(this.model.shownRuns().flatMap(r => Object.keys(r.metrics)))].sort();
    const body = new MetricChooser(keys, this.model.metricKeys());
    const result = await showDialog({
      title: 'Metric columns (up to three)',
      body,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Show' })]
    });
    if (result.button.accept) {
      this.model.setChosenMetrics(body.chosen);
    }
  }

  private loaded = false;
}

/** The search box: our filter language, the parser's error and column inline. */
function FilterBox(props: { model: SidebarModel }): JSX.Element {
  const m = props.model;
  const [text, setText] = React.useState(m.filter);
  const error = m.filterError;
  const listId = 'mltrack-filter-examples';
  return (
    <form
      className="mltrack-filter"
      onSubmit={event => {
        event.preventDefault();
        m.setFilter(text);
      }}
    >
      <input
        className="jp-mod-styled mltrack-filter-input"
        type="search"
        value={text}
        list={listId}
        placeholder="Filter: metrics.accuracy > 0.8 AND params.model = 'rf'"
        aria-label="Filter runs"
        aria-invalid={error !== null}
        spellCheck={false}
        onChange={event => {
          setText(event.target.value);
          if (!event.target.value) {
            m.setFilter('');
          }
        }}
      />
      <datalist id={listId}>
        {FILTER_EXAMPLES.map(example => (
          <option key={example} value={example} />
        ))}
      </datalist>
      {error && (
        <div className="mltrack-filter-error" role="alert">
          <div className="mltrack-filter-echo">
            {error.before}
            <mark title={`column ${error.column}`}>{error.at}</mark>
            {error.after}
          </div>
          <div>{error.message}</div>
        </div>
      )}
    </form>
  );
}

/** Dialog body with one checkbox per metric key; keeps at most three ticked. */
class MetricChooser extends ReactWidget {
  constructor(
    private keys: string[],
    initial: string[]
  ) {
    super();
    this.chosen = initial.slice(0, 3);
  }

  chosen: string[];

  render(): JSX.Element {
    if (!this.keys.length) {
      return <div className="mltrack-muted">The runs shown have no metrics.</div>;
    }
    return (
      <div className="mltrack-metric-chooser">
        {this.keys.map(key => (
          <label key={key}>
            <input
              type="checkbox"
              checked={this.chosen.includes(key)}
              disabled={!this.chosen.includes(key) && this.chosen.length >= 3}
              onChange={() => {
                this.chosen = this.chosen.includes(key)
                  ? this.chosen.filter(k => k !== key)
                  : [...this.chosen, key];
                this.update();
              }}
            />
            {key}
          </label>
        ))}
      </div>
    );
  }
}
