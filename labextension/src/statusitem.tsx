/** Status bar item: the current notebook's active run (name · elapsed · last metric value). */
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { KernelRunWatcher } from './kernelrun';
import { statusText } from './statustext';

export class RunStatusItem extends ReactWidget {
  constructor(
    private watcher: KernelRunWatcher,
    private commands: CommandRegistry
  ) {
    super();
    this.addClass('mltrack-status-item');
    watcher.changed.connect(() => this.update(), this);
  }

  render(): JSX.Element | null {
    const run = this.watcher.active;
    if (!run) {
      return null;
    }
    return (
      <button
        className="mltrack-status-button"
        title={`Tracking run ${run.run_id}: open its details`}
        onClick={() => void this.commands.execute('mltrack:open-run', { runId: run.run_id })}
      >
        <span className="mltrack-pulse" aria-hidden />
        {statusText(run)}
      </button>
    );
  }
}
