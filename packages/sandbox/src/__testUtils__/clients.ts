import { execFile, spawnSync } from 'node:child_process';
import { SANDBOX_SECRET_ACCESS_KEY } from '../aws/sigv4';

/**
 * Clients Konductor did not write (the AWS CLI and botocore, kubectl), run as processes against
 * the sandbox, for conformance tests that expect what the real services document.
 */

/** Whether `command` runs on this machine; says once what a test file skips when it does not. */
export function hasClient(command: string, versionArgs: string[]): boolean {
  const found = spawnSync(command, versionArgs, { stdio: 'ignore' }).status;
  if (found !== 0)
    // eslint-disable-next-line no-console
    console.log(
      `conformance: ${command} is not installed, so its conformance tests are skipped`,
    );
  return found === 0;
}

export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` with only `env` (plus PATH and HOME) and answers its exit code and output. */
export function runClient(
  command: string,
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<ClientResult> {
  return new Promise(resolve => {
    const child = execFile(
      command,
      args,
      {
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as any).code ?? 1) || 1 : 0,
          stdout,
          stderr,
        }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * The environment of the AWS CLI for the sandbox's default account, reading no user config. The
 * endpoint goes in `--endpoint-url`: AWS CLI v1 ignores AWS_ENDPOINT_URL for some services (RDS).
 */
export const awsCliEnv = (): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: 'AKIA123456789012',
  AWS_SECRET_ACCESS_KEY: SANDBOX_SECRET_ACCESS_KEY,
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
});
