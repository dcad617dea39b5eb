/* eslint-disable no-console */
import { startSandbox } from './startSandbox';

/** `yarn workspace @konductor/sandbox start`: the sandbox as its own process. */
async function main() {
  const port = Number(process.env.KONDUCTOR_SANDBOX_PORT ?? '4566');
  const dataDir = process.env.KONDUCTOR_SANDBOX_DATA_DIR;
  const sandbox = await startSandbox({ port, dataDir });
  console.log(`konductor sandbox listening on ${sandbox.url} (AWS at /, GitHub at /github, git at /git, Jira at /jira, Kubernetes at /k8s)`);
  const stop = () => sandbox.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(e => {
  console.error(`konductor sandbox failed to start: ${e.message}`);
  process.exit(1);
});
