/** The commands (ids are part of the public surface: `mltrack:*`). */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { PageConfig } from '@jupyterlab/coreutils';
import { contentsPath as relativePath } from './paths';
import { Widget } from '@lumino/widgets';
import { api } from './api';
import { openArtifact } from './artifacts';
import { addTrackMagic, comparisonCell, LOAD_EXT, loadExtPlan, withLoadExt } from './cells';
import { createCompareWidget } from './compare';
import { projectIcon, registryIcon, trackIcon, experimentsIcon } from './icons';
import { KernelRunWatcher } from './kernelrun';
import { SidebarModel } from './model';
import { runAsProject } from './project';
import { createRegistryWidget } from './registry';
import { createRunWidget, RunView } from './runview';
import { SIDEBAR_ID } from './sidebar';

export interface ICommandContext {
  app: JupyterFrontEnd;
  model: SidebarModel;
  notebooks: INotebookTracker | null;
  docManager: IDocumentManager | null;
  rendermime: IRenderMimeRegistry | null;
  watcher: KernelRunWatcher | null;
  tracker: WidgetTracker<MainAreaWidget<Widget>>;
}

/** A path the contents API knows, relative to this server's root folder. */
export function contentsPath(path: string): string {
  return relativePath(path, PageConfig.getOption('serverRoot'));
}

function addToShell(ctx: ICommandContext, widget: MainAreaWidget<Widget>): void {
  const existing = ctx.tracker.find(w => w.id === widget.id);
  if (existing) {
    widget.dispose();
    ctx.app.shell.activateById(existing.id);
    return;
  }
  void ctx.tracker.add(widget);
  ctx.app.shell.add(widget, 'main');
  ctx.app.shell.activateById(widget.id);
}

function trackCell(ctx: ICommandContext): void {
  const panel = ctx.notebooks?.currentWidget;
  const cell = panel?.content.activeCell;
  if (!panel || !cell || cell.model.type !== 'code') {
    Notification.warning('Select a code cell of a notebook to track it.', { autoClose: 4000 });
    return;
  }
  const shared = cell.model.sharedModel;
  shared.setSource(addTrackMagic(shared.getSource()));
  const nb = panel.content.model!.sharedModel;
  const first = nb.getCell(0);
  const plan = loadExtPlan(first.getSource(), first.cell_type);
  if (plan === 'prepend') {
    first.setSource(withLoadExt(first.getSource()) ?? first.getSource());
  } else if (plan === 'insert') {
    nb.insertCell(0, { cell_type: 'code', source: LOAD_EXT });
  }
}

function insertComparison(ctx: ICommandContext, runIds: string[]): void {
  const panel = ctx.notebooks?.currentWidget;
  if (!panel) {
    Notification.warning('Open a notebook to insert the comparison into.', { autoClose: 4000 });
    return;
  }
  NotebookActions.insertBelow(panel.content);
  panel.content.activeCell?.model.sharedModel.setSource(comparisonCell(runIds));
  ctx.app.shell.activateById(panel.id);
}

async function openSource(ctx: ICommandContext, path: string, cellIndex: number): Promise<void> {
  const widget = ctx.docManager?.openOrReveal(contentsPath(path));
  if (!(widget instanceof NotebookPanel)) {
    return;
  }
  await widget.context.ready;
  if (cellIndex >= 0 && cellIndex < widget.content.widgets.length) {
    widget.content.activeCellIndex = cellIndex;
    await widget.content.scrollToItem(cellIndex, 'center');
  }
}

function currentRunId(ctx: ICommandContext): string | null {
  const current = ctx.tracker.currentWidget;
  if (current && current.content instanceof RunView) {
    return current.content.options.runId;
  }
  return ctx.watcher?.active?.run_id ?? null;
}

export function addCommands(ctx: ICommandContext): void {
  const { app, model } = ctx;
  const { commands } = app;
  commands.addCommand('mltrack:open-sidebar', {
    label: 'Show Experiments',
    caption: 'Open the Experiments sidebar of jupyter_mltrack',
    icon: experimentsIcon,
    execute: () => app.shell.activateById(SIDEBAR_ID)
  });
  commands.addCommand('mltrack:open-run', {
    label: 'Open Run Details',
    execute: args => {
      const runId = String(args.runId ?? '');
      if (runId) {
        const experimentName = (id: string) =>
          model.experiments.find(e => e.experiment_id === id)?.name;
        addToShell(
          ctx,
          createRunWidget({ runId, commands, rendermime: ctx.rendermime, experimentName })
        );
      }
    }
  });
  commands.addCommand('mltrack:compare', {
    label: 'Compare Selected Runs',
    isEnabled: args => ((args.runIds as string[]) ?? [...model.selected]).length >= 2,
    execute: args => {
      const runIds = (args.runIds as string[]) ?? [...model.selected];
      addToShell(ctx, createCompareWidget(runIds, commands, ctx.rendermime));
    }
  });
  commands.addCommand('mltrack:track-cell', {
    label: 'Track This Cell',
    caption: 'Prepend %%track to the cell (and load the extension in the first cell)',
    icon: trackIcon,
    execute: () => trackCell(ctx)
  });
  commands.addCommand('mltrack:run-as-project', {
    label: args => (args.runId ? 'Re-run with Changes…' : 'Run Notebook as Project…'),
    caption: 'Run this notebook with papermill as a tracked project run',
    icon: projectIcon,
    execute: async args => {
      const path = String(args.path ?? ctx.notebooks?.currentWidget?.context.path ?? '');
      if (!path) {
        Notification.warning('Open a notebook to run it as a project.', { autoClose: 4000 });
        return;
      }
      const overrides = args.runId ? (await api.run(String(args.runId))).params : {};
      const runId = await runAsProject(contentsPath(path), overrides, args.runId ? 'Re-run with changes' : 'Run as project');
      if (runId) {
        app.shell.activateById(SIDEBAR_ID);
        await model.reveal(runId);
      }
    }
  });
  commands.addCommand('mltrack:open-registry', {
    label: 'Open Model Registry',
    icon: registryIcon,
    execute: () => addToShell(ctx, createRegistryWidget(commands))
  });
  commands.addCommand('mltrack:copy-run-id', {
    label: 'Copy Run Id',
    execute: args => {
      const runId = String(args.runId ?? currentRunId(ctx) ?? '');
      if (!runId) {
        Notification.warning('No run to copy: open a run or run a tracked cell.', { autoClose: 4000 });
        return;
      }
      Clipboard.copyToSystem(runId);
      Notification.info(`Copied run id ${runId}`, { autoClose: 2000 });
    }
  });
  commands.addCommand('mltrack:open-artifact', {
    label: 'Open Run Artifact',
    execute: async args => {
      if (!ctx.rendermime) {
        return;
      }
      const runId = String(args.runId);
      const widget = await openArtifact(ctx.rendermime, runId, String(args.path), runId.slice(0, 8));
      addToShell(ctx, widget);
    }
  });
  commands.addCommand('mltrack:open-source', {
    label: 'Open Source Notebook of Run',
    execute: args => openSource(ctx, String(args.path), Number(args.cellIndex ?? -1))
  });
  commands.addCommand('mltrack:insert-comparison', {
    label: 'Insert Run Comparison as Cell',
    execute: args => insertComparison(ctx, (args.runIds as string[]) ?? [...model.selected])
  });
}
