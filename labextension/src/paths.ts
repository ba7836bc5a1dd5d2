/** Notebook paths as the contents API wants them (pure, unit-tested). */

/** Absolute paths under the server root become relative to it; `./a` becomes `a`. */
export function contentsPath(path: string, serverRoot: string): string {
  const root = serverRoot.replace(/\/+$/, '');
  if (root && path.startsWith(`${root}/`)) {
    return path.slice(root.length + 1);
  }
  return path.replace(/^\.\//, '');
}
