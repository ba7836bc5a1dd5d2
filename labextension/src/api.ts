/**
 * The only data source of the extension: JSON routes of the jupyter_mltrack server extension
 * under `{base_url}mltrack/api/`. Requests go through ServerConnection, so they carry Jupyter's
 * auth and XSRF headers and work behind a base_url (JupyterHub).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface IRun {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: RunStatus;
  start_time: number | null;
  end_time: number | null;
  lifecycle_stage: string;
  parent_run_id: string | null;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

export interface IArtifact {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

export interface IRunDetails extends IRun {
  artifacts: IArtifact[];
  source: {
    notebook_path: string | null;
    cell_source: string | null;
    slice_source: string | null;
    cell_index: number | null;
  };
  metric_keys: string[];
}

export interface IExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  creation_time: number | null;
  last_update_time: number | null;
  tags: Record<string, string>;
}

export interface IRunsPage {
  runs: IRun[];
  next_page_token: string | null;
  total: number;
}

export interface IHistory {
  run_id: string;
  key: string;
  steps: number[];
  values: (number | null)[];
  timestamps: number[];
}

export interface IModelVersion {
  version: string;
  stage: string;
  aliases: string[];
  run_id: string | null;
  run_name: string | null;
  source: string;
  status: string;
  tags: Record<string, string>;
  description: string | null;
  creation_timestamp: number | null;
  last_updated_timestamp: number | null;
}

export interface IModel {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  aliases: Record<string, string>;
  latest_versions: IModelVersion[];
}

export interface IModelDetails extends IModel {
  versions: IModelVersion[];
  history: {
    version: string;
    kind: 'stage' | 'alias';
    action?: string;
    alias?: string | null;
    from: string | null;
    to: string | null;
    user: string | null;
    timestamp: number | null;
  }[];
}

export interface IHealth {
  ok: boolean;
  api_version: number;
  version: string;
  frontend_version: string;
  tracking_uri: string;
}

export interface IParameterSpec {
  default: unknown;
  type: string;
}

/** An error answer of the server extension, with its code and (for filters) the column. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string,
    readonly column: number | null = null
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | string[] | null | undefined>;

/** Build `a=1&b=2&b=3`, skipping empty values; arrays repeat the key. */
export function queryString(query: Query): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item === null || item === undefined || item === '') {
        continue;
      }
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(item))}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Call a route of the server extension and return its JSON (or throw an ApiError). */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  query: Query = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'mltrack', 'api', endpoint) + queryString(query);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(`Cannot reach the Jupyter server: ${String(error)}`, 0, 'NETWORK_ERROR');
  }
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body?.message ?? `${response.status} ${response.statusText}`;
    const code = body?.error_code ?? (response.status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR');
    throw new ApiError(message, response.status, code, body?.column ?? null);
  }
  return body as T;
}

/** The URL of a run's artifact file (same origin, authenticated by the session cookie). */
export function artifactUrl(runId: string, path: string): string {
  const settings = ServerConnection.makeSettings();
  return (
    URLExt.join(settings.baseUrl, 'mltrack', 'api', 'runs', runId, 'artifact') +
    queryString({ path })
  );
}

/** POST a JSON body. */
export function postAPI<T>(endpoint: string, body: unknown): Promise<T> {
  return requestAPI<T>(endpoint, { method: 'POST', body: JSON.stringify(body) });
}

/** Typed shortcuts for every route of the contract. */
export const api = {
  health: () => requestAPI<IHealth>('health'),
  experiments: (view = 'active') =>
    requestAPI<{ experiments: IExperiment[] }>('experiments', {}, { view }),
  runs: (q: {
    experimentIds: string[];
    filter?: string;
    orderBy?: string[];
    pageToken?: string | null;
    pageSize?: number;
  }) =>
    requestAPI<IRunsPage>(
      'runs',
      {},
      {
        experiment_ids: q.experimentIds.join(','),
        filter: q.filter,
        order_by: q.orderBy,
        page_token: q.pageToken,
        page_size: q.pageSize ?? 50
      }
    ),
  run: (runId: string) => requestAPI<IRunDetails>(`runs/${encodeURIComponent(runId)}`),
  artifacts: (runId: string, path: string) =>
    requestAPI<{ files: IArtifact[] }>(
      `runs/${encodeURIComponent(runId)}/artifacts`,
      {},
      { path }
    ),
  history: (runId: string, key: string, maxPoints = 500) =>
    requestAPI<IHistory>('metrics/history', {}, { run_id: runId, key, max_points: maxPoints }),
  models: (filter = '', pageToken: string | null = null) =>
    requestAPI<{ models: IModel[]; next_page_token: string | null }>(
      'models',
      {},
      { filter, page_token: pageToken }
    ),
  model: (name: string) => requestAPI<IModelDetails>(`models/${encodeURIComponent(name)}`),
  setAlias: (name: string, alias: string, version: string, confirm: boolean) =>
    postAPI<IModelDetails>(`models/${encodeURIComponent(name)}/alias`, {
      alias,
      version,
      confirm
    }),
  setStage: (name: string, version: string, stage: string, archive: boolean, confirm: boolean) =>
    postAPI<IModelDetails>(`models/${encodeURIComponent(name)}/stage`, {
      version,
      stage,
      archive_existing_versions: archive,
      confirm
    }),
  kernelRun: (kernelId: string) =>
    requestAPI<{ run: IRun | null; last_run: IRun | null }>(
      `kernels/${encodeURIComponent(kernelId)}/run`
    ),
  projectRun: (path: string, parameters: Record<string, unknown>, experiment?: string) =>
    postAPI<{ run_id: string; status: string }>('projects/run', { path, parameters, experiment }),
  notebookParameters: (path: string) =>
    requestAPI<{ parameters: Record<string, IParameterSpec> }>(
      'notebooks/parameters',
      {},
      { path }
    )
};
