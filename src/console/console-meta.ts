/**
 * What the console page is told about the service it watches (GET /console/api/meta and the
 * stream's first event). The page imports this type: one definition for both ends.
 */
export interface ConsoleMeta {
  intervalMs: number;
  historyLength: number;
  windowSeconds: number;
  prefixes: string[];
  l1Bounds: { maxEntries: number; maxBytes: number };
  hotKeySampling: number;
  /** Present when PROMETHEUS_URL is set: the page may show the whole fleet (the job's instances). */
  fleet?: { job: string; rateWindow: string };
}
