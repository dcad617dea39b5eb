import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';

/**
 * Mock tokens, with what real ones carry: a plugin calling on behalf of a user is the request's
 * actor, which the permission backend tells from a direct user request (a conditional decision is
 * given only to a plugin, which applies it itself).
 */
export const actorAuthServiceFactory = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const inner = mockServices.auth({ pluginId: plugin.getId() });
    return Object.assign(Object.create(inner), {
      async authenticate(token: string, options?: any) {
        const obo = /^mock-service-token:(.*)$/.exec(token);
        if (obo) {
          const claims = JSON.parse(obo[1]);
          if (
            claims.obo &&
            (!claims.target || claims.target === plugin.getId())
          )
            return mockCredentials.user(claims.obo, {
              actor: { subject: `plugin:${claims.sub ?? 'caller'}` },
            });
        }
        return inner.authenticate(token, options);
      },
    });
  },
});
