/**
 * Run chips on cells: a small "run name · status" label on each cell that produced a run since
 * the notebook was opened. State is keyed by the cell model's id, not by DOM nodes: Lab's
 * windowed notebook detaches cells that scroll away (and renders placeholders first), so the
 * chip is (re)applied whenever a cell comes into the viewport.
 */
import { Cell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';
import { IRun } from './api';
import { statusClass } from './format';

interface IChip {
  runId: string;
  name: string;
  status: string;
}

const CHIP_CLASS = 'mltrack-chip';

export class CellChips {
  /** `open` shows a run's details (the chip is a button). */
  constructor(private open: (runId: string) => void) {}

  /** Remember that `cell` produced `run` and show the chip. */
  attach(notebook: Notebook, cell: Cell, run: IRun): void {
    const chips = this.chipsOf(notebook);
    chips.set(cell.model.id, { runId: run.run_id, name: run.run_name || run.run_id, status: run.status });
    if (!this.watched.has(cell)) {
      this.watched.add(cell);
      cell.inViewportChanged.connect((c, inView) => inView && this.apply(notebook, c));
    }
    this.apply(notebook, cell);
  }

  /** Refresh the status of the chip that shows `run`, wherever it is. */
  update(notebook: Notebook, run: IRun): void {
    const chips = this.chipsOf(notebook);
    for (const [cellId, chip] of chips) {
      if (chip.runId === run.run_id && chip.status !== run.status) {
        chip.status = run.status;
        const cell = notebook.widgets.find(c => c.model.id === cellId);
        if (cell) {
          this.apply(notebook, cell);
        }
      }
    }
  }

  private chipsOf(notebook: Notebook): Map<string, IChip> {
    let chips = this.byNotebook.get(notebook);
    if (!chips) {
      chips = new Map();
      this.byNotebook.set(notebook, chips);
    }
    return chips;
  }

  private apply(notebook: Notebook, cell: Cell): void {
    const chip = this.chipsOf(notebook).get(cell.model.id);
    if (!chip || cell.isDisposed) {
      return;
    }
    let node = cell.node.querySelector<HTMLElement>(`:scope > .${CHIP_CLASS}`);
    if (!node) {
      node = document.createElement('div');
      const chipNode = node;
      chipNode.addEventListener('click', () => this.open(chipNode.dataset.runId ?? ''));
      chipNode.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this.open(chipNode.dataset.runId ?? '');
        }
      });
      cell.node.appendChild(node);
    }
    node.className = `${CHIP_CLASS} ${statusClass(chip.status)}`;
    node.dataset.runId = chip.runId;
    node.title = `Run ${chip.runId} (${chip.status.toLowerCase()}); click for details`;
    node.textContent = `${chip.name} · ${chip.status.toLowerCase()}`; // run names are text, never HTML
    node.tabIndex = 0;
    node.setAttribute('role', 'button');
  }

  private byNotebook = new WeakMap<Notebook, Map<string, IChip>>();
  private watched = new WeakSet<Cell>();
}
