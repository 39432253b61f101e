import { rmSync } from 'node:fs';
import { describeError } from './errors.ts';

/** Temp dirs we created, removed on parent exit so an aborted run leaves nothing behind. */
const ownedDirs = new Set<string>();
let dirExitHookInstalled = false;

export function trackOwnedDir(dir: string): void {
  ownedDirs.add(dir);
  if (dirExitHookInstalled) return;
  dirExitHookInstalled = true;
  process.on('exit', () => {
    for (const owned of ownedDirs) {
      try {
        rmSync(owned, { recursive: true, force: true });
      } catch (error) {
        process.stderr.write(`redis-cluster: could not remove ${owned}: ${describeError(error)}\n`);
      }
    }
  });
}

/** Removes a dir we created now, rather than at exit. */
export function removeOwnedDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  ownedDirs.delete(dir);
}
