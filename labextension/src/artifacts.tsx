/**
 * Artifacts opened in Lab's own renderers: images, JSON, text and markdown through the
 * rendermime registry, CSV as a table, notebooks read-only (cells rendered, nothing runs).
 * HTML/SVG artifacts are not rendered (they could run script); they can be downloaded.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { Panel, Widget } from '@lumino/widgets';
import { artifactUrl } from './api';
import { parseCsv } from './csv';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif'
};
const TEXT_TYPES = ['txt', 'log', 'py', 'yaml', 'yml', 'md', 'toml', 'cfg', 'ini', 'json', 'csv', 'tsv', 'ipynb', 'mlmodel'];

/** Whether the viewer can show a file of this name (else: offer the download). */
export function viewable(path: string): boolean {
  const ext = extension(path);
  return ext in IMAGE_TYPES || TEXT_TYPES.includes(ext) || path.endsWith('MLmodel');
}

export function extension(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(dot + 1).toLowerCase();
}

async function fetchArtifact(runId: string, path: string): Promise<Response> {
  const settings = ServerConnection.makeSettings();
  const response = await ServerConnection.makeRequest(artifactUrl(runId, path), {}, settings);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return response;
}

function blobToBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1] ?? '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function csvTable(text: string, sep: string): Widget {
  const widget = new Widget();
  const table = document.createElement('table');
  table.className = 'mltrack-table mltrack-csv';
  parseCsv(text, 500, sep).forEach((cells, i) => {
    const tr = table.insertRow();
    for (const value of cells) {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      cell.textContent = value; // user data: always text
      tr.appendChild(cell);
    }
  });
  widget.node.appendChild(table);
  return widget;
}

async function renderMime(
  rendermime: IRenderMimeRegistry,
  mimeType: string,
  data: unknown,
  parent: Panel
): Promise<void> {
  const renderer = rendermime.createRenderer(mimeType);
  parent.addWidget(renderer);
  await renderer.renderModel(rendermime.createModel({ data: { [mimeType]: data as any }, trusted: false }));
}

/** Render a notebook read-only: markdown through rendermime, code as text, outputs untrusted. */
async function renderNotebook(rendermime: IRenderMimeRegistry, text: string, parent: Panel) {
  const nb = JSON.parse(text);
  for (const cell of nb.cells ?? []) {
    const source = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
    const box = new Panel();
    box.addClass(`mltrack-nb-${cell.cell_type === 'code' ? 'code' : 'markdown'}`);
    parent.addWidget(box);
    if (cell.cell_type === 'markdown') {
      await renderMime(rendermime, 'text/markdown', source, box);
      continue;
    }
    const pre = new Widget({ node: document.createElement('pre') });
    pre.node.textContent = source;
    box.addWidget(pre);
    for (const output of cell.outputs ?? []) {
      const bundle =
        output.output_type === 'stream'
          ? { 'text/plain': [].concat(output.text).join('') }
          : output.output_type === 'error'
            ? { 'text/plain': `${output.ename}: ${output.evalue}` }
            : (output.data ?? {});
      const mime = rendermime.preferredMimeType(bundle, 'ensure');
      if (mime) {
        await renderMime(rendermime, mime, bundle[mime], box);
      }
    }
  }
}

/** Open one artifact file of a run in a main-area tab. */
export async function openArtifact(
  rendermime: IRenderMimeRegistry,
  runId: string,
  path: string,
  runLabel: string
): Promise<MainAreaWidget> {
  const content = new Panel();
  content.addClass('mltrack-artifact-view');
  const widget = new MainAreaWidget({ content });
  widget.id = `mltrack-artifact-${runId}-${path}`.replace(/[^A-Za-z0-9_-]/g, '_');
  widget.title.label = `${path.split('/').pop()} · ${runLabel}`;
  widget.title.caption = `${path} (run ${runId})`;
  widget.title.closable = true;
  void fill(rendermime, content, runId, path).catch(error => {
    const message = new Widget();
    message.addClass('mltrack-message');
    message.addClass('mltrack-message-error');
    message.node.textContent = `Cannot open ${path}: ${(error as Error).message}`;
    content.addWidget(message);
  });
  return widget;
}

async function fill(
  rendermime: IRenderMimeRegistry,
  content: Panel,
  runId: string,
  path: string
): Promise<void> {
  const response = await fetchArtifact(runId, path);
  const ext = extension(path);
  if (ext in IMAGE_TYPES) {
    await renderMime(rendermime, IMAGE_TYPES[ext], await blobToBase64(await response.blob()), content);
    return;
  }
  const text = await response.text();
  if (ext === 'csv' || ext === 'tsv') {
    content.addWidget(csvTable(text, ext === 'tsv' ? '\t' : ','));
  } else if (ext === 'json') {
    const data = JSON.parse(text);
    if (rendermime.mimeTypes.includes('application/json')) {
      await renderMime(rendermime, 'application/json', data, content);
    } else {
      await renderMime(rendermime, 'text/plain', JSON.stringify(data, null, 2), content);
    }
  } else if (ext === 'ipynb') {
    await renderNotebook(rendermime, text, content);
  } else if (ext === 'md') {
    await renderMime(rendermime, 'text/markdown', text, content);
  } else {
    await renderMime(rendermime, 'text/plain', text, content);
  }
}
