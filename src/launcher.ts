/**
 * Package-manager processes that only launch the application (`NODE_OPTIONS="--require
 * autoprom/register" npm start`): NODE_OPTIONS reaches them too, and if autoprom started there
 * it would take the metrics port before the application does and serve a launcher's zeros.
 * Pure and tiny: the preload asks it before loading anything else.
 */

/** Entry scripts of npm and npx, yarn (classic and berry releases), pnpm and pnpx, and corepack's shims, by their package's folder. */
const LAUNCHER_SCRIPTS: readonly RegExp[] = [
  // The command itself, as the shell found it (`/usr/bin/npm`, `node_modules/.bin/pnpm`).
  /(?:^|[\\/])(?:npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack)$/,
  /[\\/]npm[\\/]bin[\\/](?:npm|npx)-cli\.js$/,
  /[\\/]yarn[\\/]bin[\\/]yarn(?:\.js)?$/,
  /[\\/]yarn[\\/]lib[\\/]cli\.js$/,
  /[\\/]\.yarn[\\/]releases[\\/]yarn-[\w.-]+\.c?js$/,
  /[\\/]pnpm[\\/](?:bin|dist)[\\/](?:pnpm|pnpx)\.c?js$/,
  /[\\/]corepack[\\/]dist[\\/](?:corepack|npm|npx|yarn|yarnpkg|pnpm|pnpx)\.js$/,
];

/** Whether `entry` (the process's `argv[1]`) is a package manager's own entry point. */
export function isPackageManagerLauncher(entry: string | undefined): boolean {
  return typeof entry === 'string' && LAUNCHER_SCRIPTS.some((re) => re.test(entry));
}
