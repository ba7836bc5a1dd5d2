import { readFileSync } from 'fs';
import { describe, expect, it } from 'vitest';
import {
  addTrackMagic,
  comparisonCell,
  hasLoadExt,
  loadExtPlan,
  parseParameter,
  showParameter,
  withLoadExt
} from '../src/cells';
import { contentsPath } from '../src/paths';
import { FRONTEND_VERSION } from '../src/version';

describe('track-cell edits', () => {
  it('prepends %%track once', () => {
    expect(addTrackMagic('x = 1')).toBe('%%track\nx = 1');
    expect(addTrackMagic('%%track\nx = 1')).toBe('%%track\nx = 1');
    expect(addTrackMagic('')).toBe('%%track\n');
  });

  it('loads the extension in the first cell only when missing', () => {
    expect(hasLoadExt('import x\n%load_ext jupyter_mltrack')).toBe(true);
    expect(withLoadExt('%load_ext jupyter_mltrack')).toBeNull();
    expect(withLoadExt('import numpy')).toBe('%load_ext jupyter_mltrack\nimport numpy');
    expect(loadExtPlan('import numpy', 'code')).toBe('prepend');
    expect(loadExtPlan('%load_ext jupyter_mltrack', 'code')).toBe('none');
    // A cell magic must stay on the first line: the line goes into a new cell above.
    expect(loadExtPlan('%%track\nx = 1', 'code')).toBe('insert');
    expect(loadExtPlan('# Title', 'markdown')).toBe('insert');
  });

  it('writes a RunComparison cell with quoted ids', () => {
    expect(comparisonCell(['a1', 'b2'])).toContain('RunComparison(["a1", "b2"])');
  });
});

describe('parameters dialog', () => {
  it('parses typed values and keeps bad ones as text', () => {
    expect(parseParameter('3', 'int')).toBe(3);
    expect(parseParameter('0.5', 'float')).toBe(0.5);
    expect(parseParameter('true', 'bool')).toBe(true);
    expect(parseParameter('[1, 2]', 'list')).toEqual([1, 2]);
    expect(parseParameter('abc', 'int')).toBe('abc');
    expect(parseParameter(' spaced ', 'str')).toBe(' spaced ');
    expect(showParameter(0.1)).toBe('0.1');
    expect(showParameter('rf')).toBe('rf');
  });

  it('makes absolute notebook paths relative to the server root', () => {
    expect(contentsPath('/srv/root/nb/a.ipynb', '/srv/root')).toBe('nb/a.ipynb');
    expect(contentsPath('nb/a.ipynb', '/srv/root')).toBe('nb/a.ipynb');
    expect(contentsPath('./a.ipynb', '')).toBe('a.ipynb');
  });
});

it('expects the front-end version of package.json', () => {
  const pkg = JSON.parse(readFileSync(`${__dirname}/../package.json`, 'utf8'));
  expect(FRONTEND_VERSION).toBe(pkg.version);
});
