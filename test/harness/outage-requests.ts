import { expect } from 'vitest';

/** The problem+json answer a store outage must give: the status, the media type, a typed body. */
export async function expectProblem(
  res: Response,
  status: number,
): Promise<{ type: string; title: string; status: number }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { type: string; title: string; status: number };
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
  return body;
}

/** A request and how long its answer took; bounded, so a hung answer fails the test instead of stalling it. */
export async function timed(url: string, init?: RequestInit): Promise<{ res: Response; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  return { res, ms: performance.now() - t0 };
}
