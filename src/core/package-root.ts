/**
 * autoprom's package root (where its package.json is), found from wherever this code was
 * compiled to: dist/src/core/ in the repository, or dist/autoprom.js, the bundle the package
 * ships. Files the package starts by path (the metrics worker, the aggregator) and the
 * packages it resolves at run time (import-in-the-middle) are found from here.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(start: string): string {
  for (let dir = start; ;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

export const PACKAGE_ROOT: string = findRoot(__dirname);

/** The compiled file `relative` of the package (a path under dist/src, as tsc writes it). */
export function packageFile(...relative: string[]): string {
  return join(PACKAGE_ROOT, 'dist', 'src', ...relative);
}
