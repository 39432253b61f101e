import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresServer } from './harness/backends.ts';
import { startTestService, type TestService, waitFor } from './harness/service.ts';

const postgres = usePostgresServer();
const PRODUCT = 77;

/**
 * The interleaving that once failed CI (test/orders-concurrency-two-processes.test.ts): two
 * requests with one Idempotency-Key, the second checking the key before the first commits and
 * reading the stock after it did, so it answered 409 beside the first one's 201. PostgreSQL's own
 * lock queue forces that order here, every run:
 *  - `holder` row-locks the product, so order A stops at its stock UPDATE with its key written
 *    but not committed;
 *  - `gate` asks for an ACCESS EXCLUSIVE lock on products, which queues behind A, and every later
 *    read of products queues behind the gate;
 *  - order B (same key) starts; whatever it waits on, it is now parked;
 *  - the holder commits: A takes the last unit and commits; then the gate opens.
 * Claiming the key first makes B wait for A and replay its order; without the claim B read the
 * emptied stock once the gate opened.
 */
describe('PostgreSQL: one Idempotency-Key racing itself', () => {
  let service: TestService;
  let holder: pg.Client;
  let gate: pg.Client;
  let watcher: pg.Client;

  beforeAll(async () => {
    const url = await postgres().createDatabase();
    service = await startTestService({
      redis: false,
      listen: true,
      env: { DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '20000' },
    });
    holder = new pg.Client({ connectionString: url });
    gate = new pg.Client({ connectionString: url });
    watcher = new pg.Client({ connectionString: url });
    await Promise.all([holder.connect(), gate.connect(), watcher.connect()]);
  });

  afterAll(async () => {
    await Promise.all([holder?.end(), gate?.end(), watcher?.end()]);
    await service?.close();
  });

  /** Backends of this database parked on a heavyweight lock (row, relation, advisory, transaction). */
  async function waitingOnLocks(): Promise<number> {
    const { rows } = await watcher.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return Number(rows[0]!.n);
  }

  function order(key: string): Promise<Response> {
    return fetch(`${service.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({
        customer: { name: 'Racing Buyer', email: 'racer@example.com' },
        items: [{ productId: PRODUCT, quantity: 1 }],
      }),
    });
  }

  it('the second request waits for the first and replays its order, even when the first took the last unit', async () => {
    await holder.query('UPDATE products SET stock = 1 WHERE id = $1', [PRODUCT]);
    await holder.query('BEGIN');
    await holder.query('SELECT stock FROM products WHERE id = $1 FOR UPDATE', [PRODUCT]);

    const first = order('race-key-1');
    await waitFor(async () => (await waitingOnLocks()) === 1, 10_000, 'order A to wait on the row lock');

    await gate.query('BEGIN');
    const gateOpened = gate.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
    await waitFor(async () => (await waitingOnLocks()) === 2, 10_000, 'the gate to queue behind order A');

    const second = order('race-key-1');
    await waitFor(async () => (await waitingOnLocks()) === 3, 10_000, 'order B to be parked');

    await holder.query('COMMIT');
    await gateOpened;
    await gate.query('COMMIT');

    const [a, b] = await Promise.all([first, second]);
    const [bodyA, bodyB] = (await Promise.all([a.json(), b.json()])) as [{ id?: string }, { id?: string }];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(bodyB.id).toBe(bodyA.id);
    expect(b.headers.get('idempotency-replayed')).toBe('true');
    expect(a.headers.get('idempotency-replayed')).not.toBe('true');
    const { rows } = await watcher.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [PRODUCT]);
    expect(rows).toEqual([{ stock: 0 }]);
  });
});
