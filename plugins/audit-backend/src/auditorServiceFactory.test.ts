import { recordOf } from './auditorServiceFactory';

const at = new Date('2026-12-04T10:00:00Z');

describe('recordOf', () => {
  it('keeps an event once, as it ends', () => {
    const started = {
      plugin: 'provisioning',
      eventId: 'stack-claim',
      severityLevel: 'medium' as const,
      actor: { actorId: 'user:default/alice' },
      meta: {
        accountId: '123456789012',
        region: 'us-east-1',
        name: 'shop',
        environment: 'dev',
      },
    };
    expect(recordOf({ ...started, status: 'initiated' }, at)).toBeUndefined();
    expect(recordOf({ ...started, status: 'succeeded' }, at)).toMatchObject({
      at: at.toISOString(),
      actor: 'user:default/alice',
      subject: '123456789012/us-east-1/shop-dev',
      status: 'succeeded',
    });
  });

  it('names the person a plugin worked for, and what the work was on', () => {
    expect(
      recordOf(
        {
          plugin: 'scaffolder',
          eventId: 'task',
          severityLevel: 'medium',
          actor: { actorId: 'plugin:scaffolder' },
          meta: {
            actionType: 'execution',
            createdBy: 'user:default/bob',
            taskId: 't-1',
            templateRef: 'template:default/postgres-database',
          },
          status: 'failed',
          error: new Error('refused'),
        },
        at,
      ),
    ).toMatchObject({
      actor: 'user:default/bob',
      action: 'execution',
      subject: 'template:default/postgres-database',
      error: 'refused',
    });
  });
});
