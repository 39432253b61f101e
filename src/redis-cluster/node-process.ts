import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisClusterError, RedisClusterTimeoutError, RedisNodeExitedError } from './errors.ts';
import { type NodeConnection, withNodeClient } from './node-client.ts';
import { waitUntil } from './wait.ts';

/**
 * Every redis-server we spawned and have not yet seen exit. Killed
 * synchronously on parent exit so an aborted test run leaks no processes.
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

const LOG_TAIL_CHARS = 2_000;

/** One redis-server bound to a fixed port, dir and config that can be started again after it dies. */
export class RedisNodeProcess {
  readonly port: number;
  readonly dir: string;
  readonly confPath: string;
  readonly logPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;

  constructor(
    port: number,
    dir: string,
    private readonly options: { detached?: boolean; connection?: NodeConnection } = {},
  ) {
    this.port = port;
    this.dir = dir;
    this.confPath = join(dir, 'redis.conf');
    this.logPath = join(dir, 'redis.log');
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Running and not SIGSTOPped, i.e. expected to answer commands. */
  get responsive(): boolean {
    return this.child !== null && !this.paused;
  }

  /** Spawns redis-server and resolves once it answers PING. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child !== null) throw new RedisClusterError(`redis-server on port ${this.port} is already running`);
    installExitHook();
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      // Detached: its own process group, so a Ctrl-C meant for the process that launched it does not reach it.
      child = spawn('redis-server', [this.confPath], {
        cwd: this.dir,
        stdio: ['ignore', logFd, logFd],
        detached: this.options.detached ?? false,
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(logFd);
    }
    this.child = child;
    this.paused = false;
    liveChildren.add(child);

    let exitDescription: string | null = null;
    this.exited = new Promise<void>((resolve) => {
      const onGone = (description: string): void => {
        exitDescription ??= description;
        liveChildren.delete(child);
        if (this.child === child) {
          this.child = null;
          this.paused = false;
        }
        resolve();
      };
      child.once('exit', (code, signal) => onGone(signal !== null ? `signal ${signal}` : `exit code ${code}`));
      child.once('error', (error) => onGone(`spawn error: ${error.message}`));
    });

    try {
      await waitUntil(
        `redis-server on port ${this.port} to answer PING`,
        async () => {
          if (exitDescription !== null) throw new RedisNodeExitedError(this.port, exitDescription, this.logTail());
          return (
            (await withNodeClient(this.port, (client) => client.ping(), 1_000, this.options.connection)) === 'PONG' ||
            'no PONG'
          );
        },
        { timeoutMs, intervalMs: 50 },
      );
    } catch (error) {
      // A node that died while booting shows up as a timeout with "connection
      // refused"; prefer the exit error because it carries the server log.
      if (exitDescription !== null && !(error instanceof RedisNodeExitedError)) {
        throw new RedisNodeExitedError(this.port, exitDescription, this.logTail());
      }
      if (error instanceof RedisClusterTimeoutError) await this.kill('SIGKILL');
      throw error;
    }
  }

  /** Lets the process outlive this one: no longer killed on exit, no longer keeping the event loop alive. */
  handOver(): void {
    if (this.child === null) return;
    liveChildren.delete(this.child);
    this.child.unref();
  }

  /** Sends `signal` and waits for the process to exit (SIGSTOP/SIGCONT just pause/resume it). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (child === null) return;
    // These never end the process, so waiting for exit would only time out.
    if (signal === 'SIGSTOP') return this.pause();
    if (signal === 'SIGCONT') return this.resume();
    child.kill(signal);
    // A SIGSTOPped process only acts on SIGKILL; let anything else through.
    if (this.paused && signal !== 'SIGKILL') child.kill('SIGCONT');
    const exited = this.exited;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new RedisClusterTimeoutError(`redis-server on port ${this.port} to exit after ${signal}`, timeoutMs)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  pause(): void {
    this.requireChild('pause').kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.requireChild('resume').kill('SIGCONT');
    this.paused = false;
  }

  logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-LOG_TAIL_CHARS);
    } catch (error) {
      return `(could not read ${this.logPath}: ${error instanceof Error ? error.message : String(error)})`;
    }
  }

  private requireChild(action: string): ChildProcess {
    if (this.child === null)
      throw new RedisClusterError(`Cannot ${action} redis-server on port ${this.port}: it is not running`);
    return this.child;
  }
}
