const encoder = new TextEncoder();

/**
 * Server-Sent Events to a bounded number of pages. A page that does not keep up loses samples
 * instead of growing a queue here: each stream holds at most a few messages, and the page
 * notices the gap by the sample times and refetches the history.
 */
export class LiveStreams {
  private readonly controllers = new Set<ReadableStreamDefaultController<Uint8Array>>();
  /** Messages not sent to a page because its stream was full. */
  dropped = 0;

  constructor(readonly maxStreams: number) {}

  get count(): number {
    return this.controllers.size;
  }

  /** A new event stream, or undefined when the limit is reached. `first` is sent at once. */
  open(first: { event: string; data: unknown }): ReadableStream<Uint8Array> | undefined {
    if (this.controllers.size >= this.maxStreams) return undefined;
    let own: ReadableStreamDefaultController<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          own = controller;
          this.controllers.add(controller);
          controller.enqueue(frame(first.event, first.data));
        },
        cancel: () => {
          if (own) this.controllers.delete(own);
        },
      },
      { highWaterMark: 4, size: () => 1 },
    );
  }

  broadcast(event: string, data: unknown): void {
    if (this.controllers.size === 0) return;
    const bytes = frame(event, data);
    for (const controller of this.controllers) {
      if ((controller.desiredSize ?? 0) <= 0) {
        this.dropped++;
        continue;
      }
      controller.enqueue(bytes);
    }
  }

  closeAll(): void {
    for (const controller of this.controllers) {
      try {
        controller.close();
      } catch {
        // already closed by the client
      }
    }
    this.controllers.clear();
  }
}

function frame(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
