/**
 * Exit codes of a failed start, one per kind of cause, so a supervisor (or a person reading
 * `echo $?`) can tell them apart. 1 stays "unexpected" (a bug).
 */
export const EXIT_CODES = {
  unexpected: 1,
  config: 2,
  port: 3,
  database: 4,
  redis: 5,
  localCluster: 6,
} as const;

export type StartupFailure = Exclude<keyof typeof EXIT_CODES, 'unexpected'>;

/**
 * A start-up failure the operator can fix: one line naming the variable, path, port or nodes
 * involved and what to do. Never carries a configured value that may be secret.
 */
export class StartupError extends Error {
  readonly exitCode: number;

  constructor(
    readonly failure: StartupFailure,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
    this.exitCode = EXIT_CODES[failure];
  }
}
