/**
 * autoprom's version, read from its package.json (the one place it is written), reported as
 * the version of autoprom's own instrumentations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  try {
    // Compiled to dist/src/core/: the package root is three levels up, in the repo and in the tarball.
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION: string = readVersion();
