/**
 * State of the Experiments sidebar: experiments, the runs page of each expanded experiment,
 * the filter, the selection, and a Poll that refreshes every 2 s while any shown run is active.
 * The poll stands by (no requests) when the panel is hidden or the browser tab is.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { api, ApiError, IExperiment, IRun } from './api';
import { describeFilterError, IFilterError, normalizeFilter } from './filter';
import { isActive, pickMetricKeys } from './format';
import { Health } from './health';

export const PAGE_SIZE = 25;
export const POLL_MS = 2000;

export interface IRunsState {
  runs: IRun[];
  total: number;
  /** Tokens of the pages before the current one, and the current page's own token. */
  previous: (string | null)[];
  token: string | null;
  next: string | null;
  loading: boolean;
  error: string | null;
}

export class SidebarModel {
  constructor(readonly health: Health) {
    this.poll = new Poll({
      factory: () => this.refreshRuns(),
      frequency: { interval: POLL_MS, backoff: true, max: 30_000 },
      name: 'mltrack:sidebar',
      standby: () => !this.visible || !this.hasActiveRuns() || 'when-hidden'
    });
  }

  readonly poll: Poll;
  experiments: IExperiment[] = [];
  experimentsError: string | null = null;
  expanded = new Set<string>();
  runs = new Map<string, IRunsState>();
  filter = '';
  filterError: IFilterError | null = null;
  selected = new Set<string>();
  chosenMetrics: string[] = [];
  visible = false;
  /** Runs started from Lab (project runs): highlighted until they end. */
  highlighted = new Set<string>();
  /** Requests made, for the polling-cost figure in tests. */
  requests = 0;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** All runs currently shown, over the expanded experiments. */
  shownRuns(): IRun[] {
    return [...this.expanded].flatMap(id => this.runs.get(id)?.runs ?? []);
  }

  hasActiveRuns(): boolean {
    return this.shownRuns().some(run => isActive(run.status));
  }

  metricKeys(): string[] {
    return pickMetricKeys(this.shownRuns(), this.chosenMetrics, 3);
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      void this.poll.refresh();
    }
  }

  async loadExperiments(): Promise<void> {
    if (!(await this.health.check())) {
      this.emit();
      return;
    }
    try {
      this.requests++;
      this.experiments = (await api.experiments()).experiments;
      this.experimentsError = null;
      if (this.expanded.size === 0 && this.experiments.length) {
        // Open the most recently updated experiment: the first thing users look for.
        const latest = [...this.experiments].sort(
          (a, b) => (b.last_update_time ?? 0) - (a.last_update_time ?? 0)
        )[0];
        this.expanded.add(latest.experiment_id);
      }
    } catch (error) {
      this.experimentsError = (error as Error).message;
    }
    this.emit();
    await this.refreshRuns();
  }

  toggle(experimentId: string): void {
    if (this.expanded.has(experimentId)) {
      this.expanded.delete(experimentId);
      this.emit();
    } else {
      this.expanded.add(experimentId);
      void this.loadPage(experimentId, null, []);
    }
  }

  setFilter(text: string): void {
    this.filter = text;
    for (const id of this.expanded) {
      const state = this.runs.get(id);
      void this.loadPage(id, null, [], state);
    }
  }

  toggleSelected(runId: string): void {
    if (!this.selected.delete(runId)) {
      this.selected.add(runId);
    }
    this.emit();
  }

  clearSelection(): void {
    this.selected.clear();
    this.emit();
  }

  setChosenMetrics(keys: string[]): void {
    this.chosenMetrics = keys.slice(0, 3);
    this.emit();
  }

  nextPage(experimentId: string): void {
    const state = this.runs.get(experimentId);
    if (state?.next) {
      void this.loadPage(experimentId, state.next, [...state.previous, state.token]);
    }
  }

  previousPage(experimentId: string): void {
    const state = this.runs.get(experimentId);
    if (state && state.previous.length) {
      const previous = state.previous.slice(0, -1);
      void this.loadPage(experimentId, state.previous[state.previous.length - 1], previous);
    }
  }

  /** Show a run started from Lab: expand its experiment and refresh until it ends. */
  async reveal(runId: string): Promise<void> {
    this.highlighted.add(runId);
    try {
      const run = await api.run(runId);
      if (!this.experiments.some(e => e.experiment_id === run.experiment_id)) {
        this.experiments = (await api.experiments()).experiments;
      }
      this.expanded.add(run.experiment_id);
      await this.loadPage(run.experiment_id, null, []);
    } catch {
      await this.loadExperiments();
    }
    void this.poll.refresh();
  }

  /** Re-read the current page of every expanded experiment (the poll's factory). */
  async refreshRuns(): Promise<void> {
    await Promise.all(
      [...this.expanded].map(id => {
        const state = this.runs.get(id);
        return this.loadPage(id, state?.token ?? null, state?.previous ?? [], state);
      })
    );
  }

  private async loadPage(
    experimentId: string,
    token: string | null,
    previous: (string | null)[],
    keep?: IRunsState
  ): Promise<void> {
    const state: IRunsState = keep ?? {
      runs: [],
      total: 0,
      previous,
      token,
      next: null,
      loading: true,
      error: null
    };
    state.loading = true;
    this.runs.set(experimentId, state);
    this.emit();
    const filter = this.filter;
    try {
      this.requests++;
      const page = await api.runs({
        experimentIds: [experimentId],
        filter: normalizeFilter(filter),
        orderBy: ['attributes.start_time DESC'],
        pageToken: token,
        pageSize: PAGE_SIZE
      });
      Object.assign(state, {
        runs: page.runs,
        total: page.total,
        next: page.next_page_token,
        token,
        previous,
        error: null
      });
      this.filterError = null;
    } catch (error) {
      const e = error as ApiError;
      if (e.status === 400 && filter.trim()) {
        this.filterError = describeFilterError(filter, e.message, e.column);
      } else {
        state.error = e.message;
      }
    }
    state.loading = false;
    for (const id of this.highlighted) {
      const run = state.runs.find(r => r.run_id === id);
      if (run && !isActive(run.status)) {
        this.highlighted.delete(id);
      }
    }
    this.emit();
  }

  dispose(): void {
    this.poll.dispose();
    Signal.clearData(this);
  }

  private emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}
