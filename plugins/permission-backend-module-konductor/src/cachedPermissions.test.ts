import type { PermissionsService } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { CachedPermissionsService } from './cachedPermissions';

const read = createPermission({
  name: 'provisioning.stack.read',
  attributes: { action: 'read' },
  resourceType: 'provisioning-stack',
});
const create = createPermission({
  name: 'provisioning.stack.create',
  attributes: { action: 'create' },
});
const budget = createPermission({
  name: 'provisioning.budget.update',
  attributes: { action: 'update' },
});

/** A permission backend that counts what it is asked and answers from `answer`. */
function backend(answer = (user: string) => user) {
  const calls: string[] = [];
  let failNext = false;
  const delegate: PermissionsService = {
    async authorize(requests, { credentials }) {
      const who = (credentials.principal as any).userEntityRef ?? 'service';
      calls.push(`authorize ${who}`);
      if (failNext) {
        failNext = false;
        throw new Error('permission backend unavailable');
      }
      return requests.map(() => ({
        result:
          answer(who) === 'user:default/alice'
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      }));
    },
    async authorizeConditional(requests, { credentials }) {
      const who = (credentials.principal as any).userEntityRef ?? 'service';
      calls.push(`conditional ${who}`);
      return requests.map(() => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'provisioning',
        resourceType: 'provisioning-stack',
        conditions: {
          rule: 'IS_STACK_OWNER',
          resourceType: 'provisioning-stack',
          params: { claims: [who] },
        },
      }));
    },
  };
  return {
    delegate,
    calls,
    failOnce: () => {
      failNext = true;
    },
  };
}

describe('CachedPermissionsService', () => {
  let time = 1_000_000;
  const clock = () => time;
  const alice = mockCredentials.user('user:default/alice');
  const bob = mockCredentials.user('user:default/bob');

  it('asks once for the same caller and permission within the time, again after it', async () => {
    const { delegate, calls } = backend();
    const cached = new CachedPermissionsService(delegate, 5000, clock);

    const first = await cached.authorizeConditional([{ permission: read }], {
      credentials: alice,
    });
    time += 4999;
    const second = await cached.authorizeConditional([{ permission: read }], {
      credentials: alice,
    });
    expect(second).toEqual(first);
    expect(calls).toEqual(['conditional user:default/alice']);

    time += 1;
    await cached.authorizeConditional([{ permission: read }], {
      credentials: alice,
    });
    expect(calls).toHaveLength(2);
  });

  it('never answers one caller with what another was answered', async () => {
    const { delegate, calls } = backend();
    const cached = new CachedPermissionsService(delegate, 5000, clock);
    const [forAlice] = await cached.authorize([{ permission: create }], {
      credentials: alice,
    });
    const [forBob] = await cached.authorize([{ permission: create }], {
      credentials: bob,
    });
    expect(forAlice.result).toBe(AuthorizeResult.ALLOW);
    expect(forBob.result).toBe(AuthorizeResult.DENY);
    const [bobsConditions] = await cached.authorizeConditional(
      [{ permission: read }],
      { credentials: bob },
    );
    expect(bobsConditions).toMatchObject({
      conditions: { params: { claims: ['user:default/bob'] } },
    });
    expect(calls).toEqual([
      'authorize user:default/alice',
      'authorize user:default/bob',
      'conditional user:default/bob',
    ]);
  });

  it('asks again for a refreshed token, another permission, or a service', async () => {
    const { delegate, calls } = backend();
    const cached = new CachedPermissionsService(delegate, 5000, clock);
    const refreshed = mockCredentials.user('user:default/alice');
    Object.assign(refreshed, { expiresAt: new Date(time + 3_600_000) });
    await cached.authorize([{ permission: create }], { credentials: alice });
    await cached.authorize([{ permission: create }], {
      credentials: refreshed,
    });
    await cached.authorize([{ permission: budget }], { credentials: alice });
    // A task's credentials, restored from JSON, carry the expiry as a string: the same token.
    const restored = {
      ...refreshed,
      expiresAt: refreshed.expiresAt!.toISOString(),
    };
    await cached.authorize([{ permission: create }], {
      credentials: restored as any,
    });
    await cached.authorize([{ permission: create }], {
      credentials: mockCredentials.service('plugin:scaffolder'),
    });
    expect(calls).toHaveLength(4);
  });

  it('always asks about a resource, whose answer depends on the resource now', async () => {
    const { delegate, calls } = backend();
    const cached = new CachedPermissionsService(delegate, 5000, clock);
    for (let i = 0; i < 2; i++)
      await cached.authorize(
        [{ permission: read, resourceRef: '123456789012/us-east-1/shop-prod' }],
        { credentials: alice },
      );
    expect(calls).toHaveLength(2);
  });

  it('shares one answer among concurrent callers and keeps no failure', async () => {
    const { delegate, calls, failOnce } = backend();
    const cached = new CachedPermissionsService(delegate, 5000, clock);
    await Promise.all(
      [1, 2, 3].map(() =>
        cached.authorizeConditional([{ permission: read }], {
          credentials: alice,
        }),
      ),
    );
    expect(calls).toHaveLength(1);

    failOnce();
    await expect(
      cached.authorize([{ permission: create }], { credentials: bob }),
    ).rejects.toThrow('permission backend unavailable');
    const [retried] = await cached.authorize([{ permission: create }], {
      credentials: bob,
    });
    expect(retried.result).toBe(AuthorizeResult.DENY);
    expect(calls).toHaveLength(3);
  });

  it('gives each caller its own copy of the answer', async () => {
    const { delegate } = backend();
    const cached = new CachedPermissionsService(delegate, 5000, clock);
    const [first] = await cached.authorize([{ permission: create }], {
      credentials: alice,
    });
    (first as any).result = AuthorizeResult.DENY;
    const [second] = await cached.authorize([{ permission: create }], {
      credentials: alice,
    });
    expect(second.result).toBe(AuthorizeResult.ALLOW);
  });
});
