/**
 * Watches the current notebook's kernel for the run it tracks (GET kernels/<id>/run; no code
 * runs in the kernel). Feeds the status bar item, the finish/fail notification and the cell
 * chips. Polls every 2 s only while the kernel is busy or a run is active, and never while the
 * browser tab is hidden; an idle notebook costs no requests.
 */
import { Notification } from '@jupyterlab/apputils';
import { Cell } from '@jupyterlab/cells';
import { INotebookTracker, Notebook, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { api, IRun } from './api';
import { CellChips } from './chips';
import { isActive } from './format';
import { Health } from './health';

export class KernelRunWatcher {
  constructor(
    private tracker: INotebookTracker,
    private commands: CommandRegistry,
    private health: Health
  ) {
    this.poll = new Poll({
      factory: () => this.check(),
      frequency: { interval: 2000, backoff: true, max: 30_000 },
      name: 'mltrack:kernel-run',
      standby: () => !this.kernelId() || (!this.busy() && !this.active) || 'when-hidden'
    });
    tracker.currentChanged.connect(this.onCurrentChanged, this);
    NotebookActions.executionScheduled.connect(this.onScheduled, this);
    NotebookActions.executed.connect(this.onExecuted, this);
    this.onCurrentChanged();
  }

  readonly poll: Poll;
  readonly chips = new CellChips(runId => {
    void this.commands.execute('mltrack:open-run', { runId });
  });
  /** The active run of the current notebook's kernel, or null. */
  active: IRun | null = null;
  requests = 0;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  private panel(): NotebookPanel | null {
    return this.tracker.currentWidget;
  }

  private kernelId(): string | null {
    return this.panel()?.sessionContext.session?.kernel?.id ?? null;
  }

  private busy(): boolean {
    return this.panel()?.sessionContext.session?.kernel?.status === 'busy';
  }

  private onCurrentChanged(): void {
    // Kernel busy/idle changes wake the poll (connecting twice is a no-op for the same slot).
    this.panel()?.sessionContext.statusChanged.connect(this.onKernelStatus, this);
    this.active = null;
    this._changed.emit();
    void this.poll.refresh();
  }

  private onKernelStatus(): void {
    void this.poll.refresh();
  }

  private onScheduled(_: unknown, args: { notebook: Notebook; cell: Cell }): void {
    const queue = this.queues.get(args.notebook) ?? [];
    queue.push({ cell: args.cell, at: Date.now() });
    this.queues.set(args.notebook, queue);
  }

  private onExecuted(_: unknown, args: { notebook: Notebook; cell: Cell }): void {
    const queue = this.queues.get(args.notebook) ?? [];
    const index = queue.findIndex(entry => entry.cell === args.cell);
    const entry = index >= 0 ? queue.splice(index, 1)[0] : null;
    // A short cell may start and end a run between two polls: ask once more when it ends.
    if (this.panel()?.content === args.notebook) {
      this.check(entry).catch(error => console.warn('mltrack: kernel run check failed', error));
    }
  }

  /** The poll's factory: one request, then update the status, chips and notifications. */
  async check(finished: { cell: Cell; at: number } | null = null): Promise<void> {
    const kernelId = this.kernelId();
    if (!kernelId || !(await this.health.check())) {
      return;
    }
    this.requests++;
    const answer = await api.kernelRun(kernelId);
    const previous = this.active;
    this.active = answer.run && isActive(answer.run.status) ? answer.run : null;
    const notebook = this.panel()?.content;
    const executing = notebook ? this.queues.get(notebook)?.[0] : undefined;
    if (this.active && executing) {
      this.chips.attach(notebook!, executing.cell, this.active);
    }
    const last = answer.last_run;
    if (last && notebook) {
      if (finished && !this.seen.has(last.run_id) && (last.start_time ?? 0) >= finished.at - 1000) {
        this.chips.attach(notebook, finished.cell, last);
      }
      this.chips.update(notebook, last);
    }
    if (previous && previous.run_id !== this.active?.run_id) {
      await this.notifyEnded(previous, last);
    }
    for (const run of [answer.run, last]) {
      if (run) {
        this.seen.add(run.run_id);
      }
    }
    this._changed.emit();
  }

  private async notifyEnded(previous: IRun, last: IRun | null): Promise<void> {
    let ended = last && last.run_id === previous.run_id ? last : null;
    if (!ended) {
      ended = await api.run(previous.run_id).catch(() => null);
    }
    if (!ended || isActive(ended.status)) {
      return;
    }
    const notebook = this.panel()?.content;
    if (notebook) {
      this.chips.update(notebook, ended);
    }
    const name = ended.run_name || ended.run_id;
    const open = {
      label: 'Open details',
      callback: () => void this.commands.execute('mltrack:open-run', { runId: ended!.run_id })
    };
    if (ended.status === 'FINISHED') {
      Notification.success(`Run ${name} finished.`, { actions: [open], autoClose: 8000 });
    } else {
      Notification.error(`Run ${name} ${ended.status.toLowerCase()}.`, {
        actions: [open],
        autoClose: false
      });
    }
  }

  dispose(): void {
    this.poll.dispose();
    Signal.clearData(this);
  }

  private queues = new WeakMap<Notebook, { cell: Cell; at: number }[]>();
  private seen = new Set<string>();
  private _changed = new Signal<this, void>(this);
}
