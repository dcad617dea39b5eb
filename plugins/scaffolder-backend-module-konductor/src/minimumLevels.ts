import type { Config } from '@backstage/config';
import type { MinimumLevels } from './actions/stackPolicy';

/** Production stacks are held to moderate or above unless configured otherwise. */
const DEFAULT_MINIMUM_LEVELS: MinimumLevels = { prod: 'moderate' };

/** `konductor.compliance.minimumLevels`, over the defaults. */
export function minimumLevelsFromConfig(config: Config): MinimumLevels {
  const configured = config.getOptionalConfig(
    'konductor.compliance.minimumLevels',
  );
  const levels: MinimumLevels = { ...DEFAULT_MINIMUM_LEVELS };
  for (const env of configured?.keys() ?? [])
    levels[env as keyof MinimumLevels] = configured!.getString(
      env,
    ) as MinimumLevels[keyof MinimumLevels];
  return levels;
}
