import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RedisServerMissingError } from './errors.ts';

const REQUIRED_BINARIES = ['redis-server', 'redis-cli'] as const;

function isOnPath(binary: string): boolean {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false; // not in this PATH entry; keep looking
    }
  });
}

/**
 * Checked up front because a spawn ENOENT surfaces as an opaque child 'error'
 * event; the typed error tells the reader exactly what to install.
 */
export function assertRedisBinariesPresent(): void {
  const missing = REQUIRED_BINARIES.filter((binary) => !isOnPath(binary));
  if (missing.length > 0) throw new RedisServerMissingError(missing);
}
