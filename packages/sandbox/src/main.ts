/* eslint-disable no-console */
import { startSandbox } from './startSandbox';

/** Parses a JSON environment variable, naming it when it does not parse. */
function jsonEnv(name: string) {
  const raw = process.env[name];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * `yarn workspace @konductor/sandbox start`: the sandbox as its own process.
 * KONDUCTOR_SANDBOX_PORT (default 4566), KONDUCTOR_SANDBOX_KUBERNETES_PORT (the clusters' Kubernetes
 * API servers over HTTPS; default the next port), KONDUCTOR_SANDBOX_DATA_DIR (state folder; in memory
 * without one), KONDUCTOR_SANDBOX_FAULTS (JSON array of fault rules) and
 * KONDUCTOR_SANDBOX_DURATIONS (JSON object of durations in ms), KONDUCTOR_SANDBOX_VPC_LIMIT (VPCs
 * per account and region, default 5), KONDUCTOR_SANDBOX_HOSTED_ZONES (comma-separated public Route 53
 * zones of the default account, default example.com), KONDUCTOR_SANDBOX_IMAGES (comma-separated
 * container images registries hold besides the platform's starter image),
 * KONDUCTOR_SANDBOX_PRIVATE_ENDPOINTS (0: every cluster endpoint answers everyone; by default a
 * private one takes no call from outside its VPC, a public one only from its publicAccessCidrs),
 * KONDUCTOR_SANDBOX_PLATFORM_HUB (0: without
 * the platform's hub for delivery through git, its Argo CD and GitOps repository; on by default).
 */
async function main() {
  const port = Number(process.env.KONDUCTOR_SANDBOX_PORT ?? '4566');
  const sandbox = await startSandbox({
    port,
    kubernetesPort: Number(
      process.env.KONDUCTOR_SANDBOX_KUBERNETES_PORT ?? port + 1,
    ),
    dataDir: process.env.KONDUCTOR_SANDBOX_DATA_DIR,
    faults: jsonEnv('KONDUCTOR_SANDBOX_FAULTS'),
    durations: jsonEnv('KONDUCTOR_SANDBOX_DURATIONS'),
    vpcLimit: process.env.KONDUCTOR_SANDBOX_VPC_LIMIT
      ? Number(process.env.KONDUCTOR_SANDBOX_VPC_LIMIT)
      : undefined,
    hostedZones: (process.env.KONDUCTOR_SANDBOX_HOSTED_ZONES ?? 'example.com')
      .split(',')
      .map(zone => zone.trim())
      .filter(Boolean),
    privateEndpoints: process.env.KONDUCTOR_SANDBOX_PRIVATE_ENDPOINTS !== '0',
    platformHub: process.env.KONDUCTOR_SANDBOX_PLATFORM_HUB !== '0',
    images: (process.env.KONDUCTOR_SANDBOX_IMAGES ?? '')
      .split(',')
      .map(image => image.trim())
      .filter(Boolean),
  });
  console.log(
    `konductor sandbox listening on ${sandbox.url} (AWS at /, GitHub at /github, git at /git, Jira at /jira, admin at /__sandbox; Kubernetes at ${sandbox.kubernetesUrl}/k8s)`,
  );
  const stop = () => sandbox.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(e => {
  console.error(`konductor sandbox failed to start: ${e.message}`);
  process.exit(1);
});
