/** "Run as project" and "Re-run with changes…": a parameters dialog, then POST projects/run. */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { api, IParameterSpec } from './api';
import { parseParameter, showParameter } from './cells';

/** Dialog body: one text input per parameter, pre-filled, plus an optional experiment name. */
export class ParametersForm extends ReactWidget {
  constructor(
    readonly path: string,
    readonly specs: Record<string, IParameterSpec>,
    experiment = ''
  ) {
    super();
    this.addClass('mltrack-parameters-form');
    this.values = Object.fromEntries(
      Object.entries(specs).map(([name, spec]) => [name, showParameter(spec.default)])
    );
    this.experiment = experiment;
  }

  values: Record<string, string>;
  experiment: string;

  /** The typed parameter values to send. */
  parameters(): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(this.values).map(([name, text]) => [
        name,
        parseParameter(text, this.specs[name]?.type ?? 'str')
      ])
    );
  }

  render(): JSX.Element {
    const names = Object.keys(this.specs);
    return (
      <div>
        <p className="mltrack-muted">
          Runs <code>{this.path}</code> with papermill as a tracked project run.
        </p>
        {!names.length && (
          <p className="mltrack-muted">
            The notebook has no cell tagged <code>parameters</code>: it runs as it is.
          </p>
        )}
        <table className="mltrack-table mltrack-form-table">
          <tbody>
            {names.map(name => (
              <tr key={name}>
                <th scope="row">
                  <label htmlFor={`mltrack-param-${name}`}>{name}</label>
                  <span className="mltrack-type">{this.specs[name].type}</span>
                </th>
                <td>
                  <input
                    id={`mltrack-param-${name}`}
                    className="jp-mod-styled mltrack-param-input"
                    data-param={name}
                    value={this.values[name]}
                    onChange={event => {
                      this.values[name] = event.target.value;
                      this.update();
                    }}
                  />
                </td>
              </tr>
            ))}
            <tr>
              <th scope="row">
                <label htmlFor="mltrack-param-experiment">experiment</label>
              </th>
              <td>
                <input
                  id="mltrack-param-experiment"
                  className="jp-mod-styled"
                  placeholder="(the notebook's default)"
                  value={this.experiment}
                  onChange={event => {
                    this.experiment = event.target.value;
                    this.update();
                  }}
                />
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    );
  }
}

/**
 * Ask for parameters (defaults from the notebook's `parameters` cell, overridden by
 * `overrides`, e.g. a run's params) and start the project run. Returns its run id or null.
 */
export async function runAsProject(
  path: string,
  overrides: Record<string, string> = {},
  title = 'Run as project'
): Promise<string | null> {
  let specs: Record<string, IParameterSpec> = {};
  try {
    specs = (await api.notebookParameters(path)).parameters;
  } catch (error) {
    Notification.error(`Cannot read the parameters of ${path}: ${(error as Error).message}`);
    return null;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (name in specs) {
      specs[name] = { ...specs[name], default: parseParameter(value, specs[name].type) };
    }
  }
  const form = new ParametersForm(path, specs);
  const result = await showDialog({
    title,
    body: form,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })]
  });
  if (!result.button.accept) {
    return null;
  }
  try {
    const started = await api.projectRun(path, form.parameters(), form.experiment || undefined);
    Notification.info(`Started project run of ${path}.`, { autoClose: 4000 });
    return started.run_id;
  } catch (error) {
    Notification.error(`Cannot start ${path}: ${(error as Error).message}`);
    return null;
  }
}
