/**
 * The model registry (main area): models → versions with aliases, stages, tags and the run
 * each came from; alias and stage changes ask for confirmation with the server's own words
 * (a 409 CONFIRMATION_REQUIRED), then resend with `confirm: true`.
 */
import { Dialog, MainAreaWidget, Notification, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { api, ApiError, IModel, IModelDetails, IModelVersion } from './api';
import { Message, Section } from './components';
import { formatTime } from './format';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'];

/** Send a change; on 409 CONFIRMATION_REQUIRED ask the user with the server's message. */
export async function withConfirmation(
  send: (confirm: boolean) => Promise<IModelDetails>
): Promise<IModelDetails | null> {
  try {
    return await send(false);
  } catch (error) {
    const e = error as ApiError;
    if (e.errorCode !== 'CONFIRMATION_REQUIRED') {
      throw error;
    }
    const answer = await showDialog({
      title: 'Confirm the change',
      body: e.message,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Confirm' })]
    });
    return answer.button.accept ? send(true) : null;
  }
}

/** One line of a model's history, e.g. `@champion set on v3` or `v2: Staging → Production`. */
export function historyText(h: IModelDetails['history'][number]): string {
  if (h.kind === 'alias') {
    const verb = h.action === 'deleted' ? 'removed from' : 'set on';
    return `@${h.alias ?? '?'} ${verb} v${h.version}`;
  }
  return `v${h.version}: ${h.from ?? 'None'} → ${h.to ?? 'None'}`;
}

export class RegistryPanel extends ReactWidget {
  constructor(private commands: CommandRegistry) {
    super();
    this.addClass('mltrack-registry');
    void this.loadModels();
  }

  models: IModel[] = [];
  filter = '';
  selected: IModelDetails | null = null;
  error: string | null = null;
  aliasName = '';
  aliasVersion = '';

  async loadModels(): Promise<void> {
    try {
      this.models = (await api.models(this.filter)).models;
      this.error = null;
      if (!this.selected && this.models.length) {
        await this.select(this.models[0].name);
      }
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.update();
  }

  async select(name: string): Promise<void> {
    try {
      this.selected = await api.model(name);
      this.aliasVersion = this.selected.versions[0]?.version ?? '';
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.update();
  }

  private async change(send: (confirm: boolean) => Promise<IModelDetails>): Promise<void> {
    try {
      const updated = await withConfirmation(send);
      if (updated) {
        this.selected = updated;
        Notification.success('Registry updated.', { autoClose: 3000 });
        void this.loadModels();
      }
    } catch (error) {
      Notification.error((error as Error).message);
    }
    this.update();
  }

  render(): JSX.Element {
    return (
      <div className="mltrack-registry-body">
        <nav className="mltrack-model-list" aria-label="Registered models">
          <form
            onSubmit={e => {
              e.preventDefault();
              void this.loadModels();
            }}
          >
            <input
              className="jp-mod-styled"
              type="search"
              placeholder="Filter: name LIKE '%churn%'"
              aria-label="Filter models"
              value={this.filter}
              onChange={e => {
                this.filter = e.target.value;
                this.update();
              }}
            />
          </form>
          {this.error && <Message kind="error">{this.error}</Message>}
          {!this.models.length && !this.error && (
            <div className="mltrack-muted">No registered models.</div>
          )}
          <ul>
            {this.models.map(m => (
              <li key={m.name}>
                <button
                  className={`mltrack-model-item ${this.selected?.name === m.name ? 'mltrack-selected' : ''}`}
                  onClick={() => void this.select(m.name)}
                >
                  <span className="mltrack-model-name">{m.name}</span>
                  <span className="mltrack-muted">
                    {m.latest_versions.length ? `v${m.latest_versions[0].version}` : ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main className="mltrack-page">{this.selected && this.renderModel(this.selected)}</main>
      </div>
    );
  }

  private renderModel(model: IModelDetails): JSX.Element {
    return (
      <>
        <header className="mltrack-page-header">
          <h1>{model.name}</h1>
        </header>
        {model.description && <p className="mltrack-description">{model.description}</p>}
        <Section title="Versions">
          <table className="mltrack-table mltrack-grid mltrack-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Stage</th>
                <th>Aliases</th>
                <th>Run</th>
                <th>Tags</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>{model.versions.map(v => this.renderVersion(model, v))}</tbody>
          </table>
        </Section>
        {this.renderAliasForm(model)}
        <Section title="History">
          {!model.history.length && <div className="mltrack-muted">No changes yet.</div>}
          <ul className="mltrack-history">
            {model.history.map((h, i) => (
              <li key={i}>
                <span className="mltrack-muted">{formatTime(h.timestamp)}</span>{' '}
                {historyText(h)}
                {h.user ? <span className="mltrack-muted"> by {h.user}</span> : null}
              </li>
            ))}
          </ul>
        </Section>
      </>
    );
  }

  private renderVersion(model: IModelDetails, v: IModelVersion): JSX.Element {
    return (
      <tr key={v.version} data-version={v.version}>
        <td>v{v.version}</td>
        <td>
          <select
            className="jp-mod-styled mltrack-stage-select"
            aria-label={`Stage of version ${v.version}`}
            value={v.stage}
            onChange={e => {
              const stage = e.target.value;
              void this.change(confirm =>
                api.setStage(model.name, v.version, stage, false, confirm)
              );
            }}
          >
            {STAGES.map(s => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </td>
        <td>
          {v.aliases.map(a => (
            <span key={a} className="mltrack-alias">
              @{a}
            </span>
          ))}
        </td>
        <td>
          {v.run_id ? (
            <button
              className="mltrack-link-button"
              onClick={() => void this.commands.execute('mltrack:open-run', { runId: v.run_id })}
            >
              {v.run_name || v.run_id.slice(0, 8)}
            </button>
          ) : (
            '—'
          )}
        </td>
        <td>
          {Object.entries(v.tags).map(([k, val]) => (
            <span key={k} className="mltrack-tag">
              {k}={val}
            </span>
          ))}
        </td>
        <td className="mltrack-nowrap">{formatTime(v.creation_timestamp)}</td>
      </tr>
    );
  }

  private renderAliasForm(model: IModelDetails): JSX.Element {
    return (
      <Section title="Set or move an alias">
        <form
          className="mltrack-alias-form"
          onSubmit={e => {
            e.preventDefault();
            const alias = this.aliasName.trim();
            if (alias && this.aliasVersion) {
              void this.change(confirm =>
                api.setAlias(model.name, alias, this.aliasVersion, confirm)
              );
            }
          }}
        >
          <input
            className="jp-mod-styled mltrack-alias-input"
            placeholder="alias, e.g. champion"
            aria-label="Alias"
            value={this.aliasName}
            onChange={e => {
              this.aliasName = e.target.value;
              this.update();
            }}
          />
          <select
            className="jp-mod-styled mltrack-alias-version"
            aria-label="Version"
            value={this.aliasVersion}
            onChange={e => {
              this.aliasVersion = e.target.value;
              this.update();
            }}
          >
            {model.versions.map(v => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
          <button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            disabled={!this.aliasName.trim()}
          >
            Set alias
          </button>
        </form>
      </Section>
    );
  }
}

export function createRegistryWidget(commands: CommandRegistry): MainAreaWidget<RegistryPanel> {
  const widget = new MainAreaWidget({ content: new RegistryPanel(commands) });
  widget.id = 'mltrack-registry';
  widget.title.label = 'Model registry';
  widget.title.closable = true;
  return widget;
}
