import { describe, expect, it } from 'vitest';
import { ApiError, queryString } from '../src/api';
import { explainHealth } from '../src/health';
import { FRONTEND_VERSION } from '../src/version';

const healthy = {
  ok: true,
  api_version: 1,
  version: FRONTEND_VERSION,
  frontend_version: FRONTEND_VERSION,
  tracking_uri: 'sqlite:///x'
};

describe('health', () => {
  it('accepts a matching server extension', () => {
    expect(explainHealth(healthy).kind).toBe('ok');
  });

  it('says what to run when the server extension is missing', () => {
    const state = explainHealth(new ApiError('Not Found', 404, 'NOT_FOUND'));
    expect(state.kind).toBe('error');
    expect(state.kind === 'error' && state.message).toContain(
      'jupyter server extension enable jupyter_mltrack.labserver'
    );
  });

  it('names both versions when they do not match', () => {
    const state = explainHealth({ ...healthy, version: '9.9.9', frontend_version: '9.9.9' });
    expect(state.kind === 'error' && state.message).toContain('9.9.9');
    expect(state.kind === 'error' && state.message).toContain('pip install --upgrade jupyter_mltrack');
  });
});

describe('queryString', () => {
  it('encodes values, repeats arrays and skips empty ones', () => {
    expect(queryString({ a: 'x y', b: ['1', '2'], c: '', d: null })).toBe('?a=x%20y&b=1&b=2');
    expect(queryString({})).toBe('');
  });
});
