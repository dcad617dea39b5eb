import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ConfigSources, EnvFunc } from '@backstage/config-loader';
import type { AppConfig } from '@backstage/config';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';

/** The repository root: this package lives in packages/backend. */
export const repoRoot = resolvePackagePath('backend', '../..');

/**
 * Konductor's real embedded configuration (app-config.yaml with app-config.sandbox.yaml) as
 * plain data, with the catalog's file locations made
 * absolute (they are written relative to packages/backend, where the backend process runs),
 * so tests start backends on exactly the configuration users get.
 */
export async function loadAppConfigData(): Promise<JsonObject> {
  const appConfigs = await readAppConfigs([
    'app-config.yaml',
    'app-config.sandbox.yaml',
  ]);
  const data = ConfigReader.fromConfigs(appConfigs).get() as JsonObject;
  const catalog = data.catalog as JsonObject;
  const locations = (catalog.locations as JsonObject[]).map(location => ({
    ...location,
    target: path.resolve(repoRoot, 'packages/backend', String(location.target)),
  }));
  return { ...data, catalog: { ...catalog, locations } };
}

/** Polls `probe` until it returns a value, failing with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/**
 * The configuration files of the repository root, each read as the backend reads it (with
 * `${VAR}` substituted by `substitute`, the environment by default).
 */
export async function readAppConfigs(
  files: string[],
  substitute?: EnvFunc,
): Promise<AppConfig[]> {
  const source = ConfigSources.defaultForTargets({
    rootDir: repoRoot,
    targets: files.map(file => ({
      type: 'path',
      target: path.join(repoRoot, file),
    })),
    substitutionFunc: substitute,
  });
  for await (const { configs } of source.readConfigData()) return configs;
  throw new Error(`No configuration read from ${files.join(', ')}`);
}
