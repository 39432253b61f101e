import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isAlive } from '../src/redis-cluster/process-table.ts';
import { type ApiProcess, readyz, startApiProcess } from './harness/api-process.ts';
import { adminHeaders, tempDatabase, testNamespace, waitFor } from './harness/service.ts';

/** Every instance here runs as a plain `npm start` would: no REDIS_CLUSTER_NODES, REDIS_MODE auto. */
let stateDir: string;
let db: ReturnType<typeof tempDatabase>;
const namespace = testNamespace();

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'shared-cluster-'));
  db = tempDatabase();
});

afterAll(() => {
  const state = readState();
  for (const node of state?.nodes ?? []) if (isAlive(node.pid)) process.kill(node.pid, 'SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
  db.remove();
});

interface State {
  baseDir: string;
  nodes: Array<{ port: number; pid: number }>;
  owners: number[];
}

function readState(): State | undefined {
  const file = join(stateDir, 'cluster.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as State) : undefined;
}

function localInstance(): Promise<ApiProcess> {
  return startApiProcess({
    redis: false,
    namespace,
    databasePath: db.path,
    env: { REDIS_MODE: 'auto', REDIS_LOCAL_CLUSTER_DIR: stateDir, LOG_LEVEL: 'info' },
    readyTimeoutMs: 90_000,
  });
}

async function priceOf(api: ApiProcess, id: number): Promise<number> {
  const body = (await (await fetch(`${api.url}/api/products/${id}`)).json()) as { price: { amount: number } };
  return body.price.amount;
}

describe('instances on one machine share one local cluster', () => {
  test("the second joins the first one's cluster, sees its writes, and the cluster stops with the last", async () => {
    const first = await localInstance();
    const second = await localInstance();
    let state = readState();
    try {
      await waitFor(() => first.stdout().includes('started a local Redis Cluster'), 5_000, 'the start-up line');
      await waitFor(() => second.stdout().includes('joined the local Redis Cluster'), 5_000, 'the join line');
      expect(state?.nodes).toHaveLength(6);
      expect(state?.owners.sort()).toEqual([first.pid, second.pid].sort());
      expect((await readyz(second.url)).checks['redis']?.status).toBe('up');

      // A price changed through one is served by the other (they share L2 and the invalidation bus).
      const before = await priceOf(second, 7);
      const next = before + 101;
      const res = await fetch(`${first.url}/admin/products/7`, {
        method: 'PATCH',
        headers: adminHeaders,
        body: JSON.stringify({ price: { amount: next, currency: 'EUR' } }),
      });
      expect(res.status).toBe(200);
      const deadline = Date.now() + 5_000;
      while ((await priceOf(second, 7)) !== next && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await priceOf(second, 7)).toBe(next);

      // The first leaves: the cluster stays for the second.
      await first.stop();
      state = readState();
      expect(state?.owners).toEqual([second.pid]);
      for (const node of state!.nodes) expect(isAlive(node.pid)).toBe(true);
      expect((await readyz(second.url)).checks['redis']?.status).toBe('up');
    } finally {
      await first.stop();
      await second.stop();
    }
    // The last one left: nodes stopped, state removed.
    for (const node of state!.nodes) expect(isAlive(node.pid), `redis-server ${node.pid}`).toBe(false);
    expect(readState()).toBeUndefined();
    expect(existsSync(state!.baseDir)).toBe(false);
  }, 240_000);

  test("a crashed run's redis-server processes are found and killed by the next start", async () => {
    const crashed = await localInstance();
    const orphans = readState()!.nodes;
    process.kill(crashed.pid, 'SIGKILL');
    await crashed.stop();
    for (const node of orphans) expect(isAlive(node.pid), 'left behind by the crash').toBe(true);

    const next = await localInstance();
    try {
      // Log lines reach stdout within the log stream's 100 ms flush, not at once: wait for it.
      await waitFor(() => next.stdout().includes('left behind by a crashed run'), 5_000, 'the orphan warning');
      for (const node of orphans) expect(isAlive(node.pid), `orphan ${node.pid}`).toBe(false);
      expect(readState()?.owners).toEqual([next.pid]);
      expect((await readyz(next.url)).checks['redis']?.status).toBe('up');
    } finally {
      await next.stop();
    }
    expect(readState()).toBeUndefined();
  }, 240_000);
});
