import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { KonductorPermissionPolicy, policyOptionsFromConfig } from './policy';

/** Installs Konductor's permission policy (`konductor.permissions`) in the permission backend. */
export const permissionModuleKonductorPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'konductor-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, config, logger, userInfo }) {
        const options = policyOptionsFromConfig(config);
        if (!options.admins.length)
          logger.warn(
            'konductor.permissions.admins is empty: nobody is a platform admin, so nobody may approve exemptions or act on stacks of groups they are not in',
          );
        policy.setPolicy(new KonductorPermissionPolicy(options, userInfo));
      },
    });
  },
});
