import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RedisClusterError } from './errors.ts';
import { type StartRedisClusterOptions, startRedisCluster } from './launcher.ts';
import { parseInfo, withNodeClient } from './node-client.ts';
import { isAlive, killRedisServers } from './process-table.ts';

/** What `<dir>/cluster.json` records about the local cluster the instances on this machine share. */
interface SharedClusterState {
  baseDir: string;
  nodes: Array<{ port: number; pid: number }>;
  /** Pids of the API processes using it; the last one to leave stops it. */
  owners: number[];
}

export interface SharedClusterLease {
  readonly seeds: ReadonlyArray<{ host: string; port: number }>;
  /** Whether this process joined a cluster another one launched. */
  readonly joined: boolean;
  /** Orphans of a crashed run that were killed before launching. */
  readonly orphansKilled: number;
  /** Leaves the cluster; stops it if no other live process uses it. Idempotent. */
  release(): Promise<void>;
}

const LOCK_WAIT_MS = 90_000;

function readState(file: string): SharedClusterState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SharedClusterState;
    return Array.isArray(parsed.nodes) && Array.isArray(parsed.owners) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function writeState(file: string, state: SharedClusterState): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
}

/**
 * An exclusive lock between processes: a file created with O_EXCL holding the owner's pid. A lock
 * left by a dead process is taken over. Held across a cluster launch, so a second instance
 * starting at the same moment waits for the first one's cluster instead of launching its own.
 */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = join(dir, 'cluster.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
      const holder = Number(readFileSync(lockFile, 'utf8').trim() || '0');
      if (holder > 0 && !isAlive(holder)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new RedisClusterError(`${lockFile} is held by process ${holder} for over ${LOCK_WAIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

async function clusterAnswers(nodes: SharedClusterState['nodes']): Promise<boolean> {
  for (const node of nodes) {
    try {
      const info = parseInfo(await withNodeClient(node.port, (client) => client.cluster('INFO'), 1_000));
      if (info.get('cluster_state') === 'ok') return true;
    } catch {
      // try the next node
    }
  }
  return false;
}

/**
 * The one local Redis Cluster of a machine (per state folder), shared by every `npm start` on it:
 * the first launches it and records it in `<dir>/cluster.json`, the next ones join it, the last
 * to leave stops it. A run that crashed leaves its pid among the owners; a start that finds no
 * live owner kills the recorded redis-server processes (orphans) and launches afresh.
 */
export async function acquireSharedLocalCluster(
  dirPath: string,
  launch: StartRedisClusterOptions = {},
): Promise<SharedClusterLease> {
  const dir = resolve(dirPath);
  mkdirSync(dir, { recursive: true });
  const stateFile = join(dir, 'cluster.json');
  const me = process.pid;
  const lease = await withLock(dir, async () => {
    const state = readState(stateFile);
    const liveOwners = state?.owners.filter((pid) => pid !== me && isAlive(pid)) ?? [];
    if (state && liveOwners.length > 0 && (await clusterAnswers(state.nodes))) {
      writeState(stateFile, { ...state, owners: [...liveOwners, me] });
      return { state, joined: true, orphansKilled: 0 };
    }
    let orphansKilled = 0;
    if (state) {
      orphansKilled = (await killRedisServers(state.nodes.map((node) => node.pid))).length;
      rmSync(state.baseDir, { recursive: true, force: true });
      rmSync(stateFile, { force: true });
    }
    const baseDir = join(dir, `nodes-${Date.now()}-${me}`);
    const cluster = await startRedisCluster({ ...launch, baseDir, detached: true });
    const fresh: SharedClusterState = { baseDir, nodes: cluster.handOver(), owners: [me] };
    writeState(stateFile, fresh);
    return { state: fresh, joined: false, orphansKilled };
  });

  let released = false;
  return {
    seeds: lease.state.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    joined: lease.joined,
    orphansKilled: lease.orphansKilled,
    release: async () => {
      if (released) return;
      released = true;
      await withLock(dir, async () => {
        const state = readState(stateFile);
        if (!state || state.baseDir !== lease.state.baseDir) return;
        const owners = state.owners.filter((pid) => pid !== me && isAlive(pid));
        if (owners.length > 0) {
          writeState(stateFile, { ...state, owners });
          return;
        }
        await killRedisServers(state.nodes.map((node) => node.pid));
        rmSync(state.baseDir, { recursive: true, force: true });
        rmSync(stateFile, { force: true });
      });
    },
  };
}
