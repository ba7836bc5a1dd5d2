/**
 * One health check at start: a missing or mismatched server extension becomes one clear
 * message saying what to run (never an endless spinner).
 */
import { api, ApiError, IHealth } from './api';
import { API_VERSION, FRONTEND_VERSION } from './version';


export type HealthState =
  | { kind: 'pending' }
  | { kind: 'ok'; health: IHealth }
  | { kind: 'error'; message: string };

/** Turn the health answer (or its failure) into what the user sees. */
export function explainHealth(result: IHealth | ApiError): HealthState {
  if (result instanceof ApiError) {
    if (result.status === 404) {
      return {
        kind: 'error',
        message:
          'The jupyter_mltrack server extension is not running. Run ' +
          '`jupyter server extension enable jupyter_mltrack.labserver` (or `pip install jupyter_mltrack` ' +
          'in the environment of this Jupyter server), then restart JupyterLab.'
      };
    }
    if (result.status === 403 || result.status === 401) {
      return { kind: 'error', message: 'Not logged in to the Jupyter server: reload the page.' };
    }
    return { kind: 'error', message: `The jupyter_mltrack server extension failed: ${result.message}` };
  }
  if (result.api_version !== API_VERSION || result.frontend_version !== FRONTEND_VERSION) {
    return {
      kind: 'error',
      message:
        `The JupyterLab extension (${FRONTEND_VERSION}) does not match the server extension ` +
        `(${result.version}, expects front end ${result.frontend_version}). Run ` +
        '`pip install --upgrade jupyter_mltrack` in the environment of this Jupyter server ' +
        'and restart JupyterLab, then reload the page.'
    };
  }
  return { kind: 'ok', health: result };
}

/** Calls `health` once (again only after a failure) and remembers the verdict. */
export class Health {
  state: HealthState = { kind: 'pending' };

  /** True when the server extension answers and matches this front end. */
  async check(): Promise<boolean> {
    if (this.state.kind === 'ok') {
      return true;
    }
    if (!this.pending) {
      this.pending = api
        .health()
        .then(h => explainHealth(h), e => explainHealth(e as ApiError))
        .then(state => {
          this.state = state;
          this.pending = null;
          return state;
        });
    }
    return (await this.pending).kind === 'ok';
  }

  private pending: Promise<HealthState> | null = null;
}
