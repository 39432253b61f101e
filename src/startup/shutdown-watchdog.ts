import { Worker } from 'node:worker_threads';

/**
 * Ends the process `afterMs` from now, whatever the main thread is doing. A timer on the main
 * thread is not enough: a log destination stuck on a full or dead stdout pipe can keep the main
 * thread in a synchronous retry loop (even inside process.exit's own flush), where no timer
 * fires. A worker thread has its own event loop and sends SIGKILL to the process.
 */
export function startShutdownWatchdog(afterMs: number): void {
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.afterMs);
     process.kill(workerData.pid, 'SIGKILL');`,
    { eval: true, workerData: { afterMs, pid: process.pid }, stdout: true, stderr: true },
  );
  worker.unref();
}
