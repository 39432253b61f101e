/** Talking to the service. Tokens live in this module's memory only: never a URL, a cookie or storage. */
const tokens = { metrics: '', admin: '' };

export function setToken(kind: 'metrics' | 'admin', value: string): void {
  tokens[kind] = value.trim();
}

export function hasAdminToken(): boolean {
  return tokens.admin !== '';
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function headers(kind: 'metrics' | 'admin', extra: Record<string, string> = {}): Record<string, string> {
  const token = tokens[kind];
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function parse<T>(res: Response): Promise<T> {
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const body = (await res.json()) as { detail?: string; title?: string };
      detail = body.detail ?? body.title ?? detail;
    } catch {
      // not a problem document
    }
    throw new HttpError(res.status, `${res.status}: ${detail}`);
  }
  return (await res.json()) as T;
}

export function getData<T>(path: string): Promise<T> {
  return fetch(path, { headers: headers('metrics'), cache: 'no-store' }).then((r) => parse<T>(r));
}

export function getAdmin<T>(path: string): Promise<T> {
  return fetch(path, { headers: headers('admin'), cache: 'no-store' }).then((r) => parse<T>(r));
}

export function postAdmin<T>(path: string, body: unknown): Promise<T> {
  return fetch(path, {
    method: 'POST',
    headers: headers('admin', { 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  }).then((r) => parse<T>(r));
}

/**
 * Server-Sent Events read over fetch (EventSource cannot send an Authorization header).
 * Resolves when the stream ends; rejects on a network or HTTP error.
 */
export async function readEvents(
  path: string,
  signal: AbortSignal,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const res = await fetch(path, { headers: headers('metrics'), signal, cache: 'no-store' });
  if (!res.ok || !res.body) throw new HttpError(res.status, `${res.status}: live stream refused`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      onEvent(event, data.join('\n'));
      end = buffer.indexOf('\n\n');
    }
  }
}
