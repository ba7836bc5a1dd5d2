/** jupyter-mltrack: one plugin that only wires the pieces together (see the other modules). */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';
import { addCommands } from './commands';
import { Health } from './health';
import { KernelRunWatcher } from './kernelrun';
import { SidebarModel } from './model';
import { ExperimentsSidebar } from './sidebar';
import { RunStatusItem } from './statusitem';

const PALETTE_COMMANDS = [
  'mltrack:open-sidebar',
  'mltrack:open-registry',
  'mltrack:track-cell',
  'mltrack:run-as-project',
  'mltrack:compare',
  'mltrack:copy-run-id'
];

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mltrack:plugin',
  description: 'Experiments sidebar, run details, compare, registry and live run status.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    INotebookTracker,
    IStatusBar,
    IDocumentManager,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    statusBar: IStatusBar | null,
    docManager: IDocumentManager | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const health = new Health();
    const model = new SidebarModel(health);
    const sidebar = new ExperimentsSidebar(model, app.commands);
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    const watcher = notebooks ? new KernelRunWatcher(notebooks, app.commands, health) : null;
    if (statusBar && watcher) {
      const item = new RunStatusItem(watcher, app.commands);
      statusBar.registerStatusItem('jupyter-mltrack:run-status', {
        item,
        align: 'left',
        rank: 4,
        isActive: () => watcher.active !== null,
        activeStateChanged: watcher.changed
      });
    }

    const tracker = new WidgetTracker<MainAreaWidget<Widget>>({ namespace: 'mltrack' });
    addCommands({ app, model, notebooks, docManager, rendermime, watcher, tracker });
    PALETTE_COMMANDS.forEach(command => palette?.addItem({ command, category: 'Experiments' }));

    // One health check at start: a missing server part is said once, clearly, not as a spinner.
    void health.check().then(ok => {
      if (!ok && health.state.kind === 'error') {
        Notification.warning(health.state.message, { autoClose: false });
      }
    });
  }
};

export default plugin;
