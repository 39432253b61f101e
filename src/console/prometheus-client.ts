/** One series of a range query: its labels and its [unix seconds, value] points. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Prometheus did not answer, answered late, or refused the query. The message holds no URL. */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
}

/** The largest answer read from Prometheus; the console's queries are far below it. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The console's only call to Prometheus: /api/v1/query_range, bounded in time (the request is
 * aborted, and Prometheus is told the same timeout) and in size.
 */
export class PrometheusClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async queryRange(
    expr: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
  ): Promise<RangeSeries[]> {
    const body = new URLSearchParams({
      query: expr,
      start: String(startSeconds),
      end: String(endSeconds),
      step: String(stepSeconds),
      timeout: `${this.timeoutMs / 1000}s`,
    });
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new PrometheusQueryError(
        timedOut ? `no answer within ${this.timeoutMs} ms` : 'cannot reach Prometheus (connection failed)',
      );
    }
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_RESPONSE_BYTES) {
      await res.body?.cancel();
      throw new PrometheusQueryError(`answer too large (${length} bytes)`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw new PrometheusQueryError(`no complete answer within ${this.timeoutMs} ms`);
    }
    if (text.length > MAX_RESPONSE_BYTES) throw new PrometheusQueryError('answer too large');
    let parsed: { status?: string; error?: string; data?: { resultType?: string; result?: RangeSeries[] } };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new PrometheusQueryError(`HTTP ${res.status}, not a Prometheus API answer`);
    }
    if (parsed.status !== 'success' || parsed.data?.resultType !== 'matrix') {
      throw new PrometheusQueryError(
        `HTTP ${res.status}: ${String(parsed.error ?? 'unexpected answer').slice(0, 200)}`,
      );
    }
    return parsed.data.result ?? [];
  }
}
