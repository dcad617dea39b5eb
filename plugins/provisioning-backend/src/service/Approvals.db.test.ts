import type { Knex } from 'knex';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { ApprovalOpenRequest } from '@konductor/plugin-provisioning-common';
import { provisioningDatabase } from './database';
import { StackStore } from './StackStore';
import { TeamBudgets } from './TeamBudgets';
import { ApprovalRules } from './approvalRules';
import { Approvals } from './Approvals';
import { ApprovalFlow } from './ApprovalFlow';
import { ChangeWindows } from './ChangeWindows';
import type { TaskState } from './RunReconciler';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const databaseService = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

const ADMINS = 'group:default/platform-admins';
const TEAM_A = 'group:default/team-a';
const ALICE = 'user:default/alice';
const CAROL = 'user:default/carol';

const rules = (
  extra: object[] = [],
  options: Parameters<typeof ApprovalRules.fromConfig>[1] = {},
) =>
  ApprovalRules.fromConfig(
    mockServices.rootConfig({
      data: {
        konductor: {
          provisioning: {
            approvals: {
              expiresAfterHours: 1,
              rules: [
                {
                  description: 'prod needs a platform admin',
                  environments: ['prod'],
                  approvers: [ADMINS],
                },
                ...extra,
              ],
            },
          },
        },
      },
    }),
    options,
  );

const request = (
  name: string,
  environment: 'dev' | 'prod',
  over: Partial<ApprovalOpenRequest> = {},
): Omit<ApprovalOpenRequest, 'requestedBy'> => ({
  taskId: `task-${name}`,
  operation: 'provision',
  accountId: '123456789012',
  region: 'us-east-1',
  stackId: `${name}-${environment}`,
  environment,
  owner: TEAM_A,
  monthlyCost: 120,
  summary: ['1. network: VPC 10.0.0.0/16 ($0.00/month)'],
  compliance: { level: 'moderate', allowed: true, violations: 0 },
  ...over,
});

describe.each(databases.eachSupportedId())('Approvals on %s', databaseId => {
  let db: Knex;
  let now: Date;
  let budgets: TeamBudgets;

  beforeEach(async () => {
    db = await databases.init(databaseId);
    await provisioningDatabase(databaseService(db));
    now = new Date('2026-12-05T10:00:00Z');
    budgets = new TeamBudgets(db, [
      { environment: 'dev', monthlyCost: 100, stacks: null },
    ]);
  });

  const approvals = (r = rules()) =>
    new Approvals(db, r, budgets, {
      now: () => now,
      names: async refs => ref =>
        refs.includes(ref) && ref === ADMINS ? 'Platform admins' : ref,
    });

  it('opens a request only where a rule matches, once per task, stack and operation', async () => {
    const store = approvals();
    expect(await store.open(ALICE, request('free', 'dev'))).toEqual({
      result: { required: false },
      created: false,
    });
    const first = await store.open(ALICE, request('shop', 'prod'));
    expect(first.created).toBe(true);
    expect(first.result).toMatchObject({
      required: true,
      request: {
        state: 'pending',
        requestedBy: ALICE,
        approvers: [ADMINS],
        reasons: ['prod needs a platform admin'],
        monthlyCost: 120,
        expiresAt: '2026-12-05T11:00:00.000Z',
      },
    });
    // The task resumed asks again: the same request, not a second one.
    const again = await store.open(ALICE, request('shop', 'prod'));
    expect(again.created).toBe(false);
    expect(again.result).toEqual(first.result);
    expect(await store.list('pending')).toHaveLength(1);
  });

  it("sends a run over its owner's budget to approval when a rule says so, naming the owner's group", async () => {
    // The stack is claimed before the run asks, as the action does.
    await new StackStore(db).claim({
      accountId: '123456789012',
      region: 'us-east-1',
      name: 'big',
      environment: 'dev',
      owner: TEAM_A,
    });
    const withoutRule = await approvals().open(ALICE, request('big', 'dev'));
    expect(withoutRule.result.required).toBe(false);
    const store = approvals(
      rules([
        {
          description: 'over budget needs the team and the platform',
          overBudget: true,
          approvers: ['owner', ADMINS],
        },
      ]),
    );
    const within = await store.open(
      ALICE,
      request('big', 'dev', { monthlyCost: 80, taskId: 'task-small' }),
    );
    expect(within.result.required).toBe(false);
    const over = await store.open(ALICE, request('big', 'dev'));
    expect(over.result).toMatchObject({
      required: true,
      request: { approvers: [TEAM_A, ADMINS] },
    });
  });

  it('is decided once, never by its requester; a rejection keeps its reason', async () => {
    const store = approvals();
    const { result } = await store.open(ALICE, request('shop', 'prod'));
    const id = result.required ? result.request.id : '';
    await expect(
      store.decide(id, ALICE, { decision: 'approve', comment: '' }),
    ).rejects.toThrow(
      'You asked for this run: someone else (Platform admins) must decide it',
    );
    const rejected = await store.decide(id, CAROL, {
      decision: 'reject',
      comment: 'use staging first',
    });
    expect(rejected).toMatchObject({
      state: 'rejected',
      decidedBy: CAROL,
      comment: 'use staging first',
    });
    await expect(
      store.decide(id, 'user:default/dave', {
        decision: 'approve',
        comment: '',
      }),
    ).rejects.toThrow(`Request ${id} is already rejected by ${CAROL}`);
  });

  it('is withdrawn while it waits, and then can no longer be decided nor withdrawn again', async () => {
    const store = approvals();
    const { result } = await store.open(ALICE, request('shop', 'prod'));
    const id = result.required ? result.request.id : '';
    now = new Date('2026-12-05T10:05:00Z');
    expect(await store.withdraw(id, ALICE)).toMatchObject({
      state: 'withdrawn',
      decidedBy: ALICE,
      decidedAt: '2026-12-05T10:05:00.000Z',
    });
    await expect(
      store.decide(id, CAROL, { decision: 'approve', comment: '' }),
    ).rejects.toThrow(`Request ${id} is already withdrawn by ${ALICE}`);
    await expect(store.withdraw(id, ALICE)).rejects.toThrow(
      `Request ${id} is already withdrawn by ${ALICE}`,
    );
    expect(await store.list('pending')).toEqual([]);
    expect(await store.awaitingResume()).toEqual([]);
  });

  it('expires undecided requests, which can no longer be approved', async () => {
    const store = approvals();
    const { result } = await store.open(ALICE, request('late', 'prod'));
    const id = result.required ? result.request.id : '';
    now = new Date('2026-12-05T11:00:01Z');
    await expect(
      store.decide(id, CAROL, { decision: 'approve', comment: '' }),
    ).rejects.toThrow(
      `Request ${id} expired at 2026-12-05T11:00:00.000Z undecided`,
    );
    expect((await store.get(id)).state).toBe('expired');
    expect(await store.expireDue()).toEqual([]);
  });

  it("resumes an approved request's task once, after the task has ended, and tells requester and approvers", async () => {
    const store = approvals();
    const sent: Array<{ to: unknown; title: string }> = [];
    const states = new Map<string, TaskState>();
    const retried: string[] = [];
    const flow = new ApprovalFlow({
      approvals: store,
      notifications: {
        send: async ({ recipients, payload }: any) => {
          sent.push({ to: recipients.entityRef, title: payload.title });
        },
      } as any,
      logger: { info: () => {}, warn: () => {} } as any,
      taskState: async id => states.get(id) ?? 'missing',
      retryTask: async id => {
        retried.push(id);
        states.set(id, 'open');
      },
      // Carol is known to the catalog, the team is not: its ref stays.
      names: async refs => {
        expect(refs).toContain(ALICE);
        return ref => (ref === CAROL ? 'Carol Chen' : ref);
      },
    });
    const { result } = await store.open(ALICE, request('shop', 'prod'));
    if (!result.required) throw new Error('expected a request');
    await flow.opened(result.request);
    // Approved while the task is still ending: the sweep resumes it once it has.
    states.set('task-shop', 'processing');
    await flow.decided(
      await store.decide(result.request.id, CAROL, {
        decision: 'approve',
        comment: 'go',
      }),
    );
    expect(retried).toEqual([]);
    states.set('task-shop', 'failed');
    await flow.sweep();
    await flow.sweep();
    expect(retried).toEqual(['task-shop']);
    expect((await store.get(result.request.id)).resumedAt).toBeDefined();
    expect(sent).toEqual([
      {
        to: [ADMINS],
        title:
          'Approval needed: New stack shop-prod (prod, group:default/team-a, $120.00/month)',
      },
      {
        to: ALICE,
        title:
          'Approved by Carol Chen: New stack shop-prod (prod, group:default/team-a, $120.00/month) runs now',
      },
    ]);
  });

  it('in a change window, holds prod runs for its emergency approvers alone, and only while it lasts', async () => {
    const windowed = (at: string) =>
      ApprovalRules.fromConfig(
        mockServices.rootConfig({
          data: {
            konductor: {
              provisioning: {
                approvals: {
                  rules: [
                    {
                      description: 'prod needs a platform admin',
                      environments: ['prod'],
                      approvers: [ADMINS],
                    },
                    {
                      description: 'Year-end freeze',
                      environments: ['prod', 'staging'],
                      from: '2026-12-20T00:00:00Z',
                      to: '2027-01-04T00:00:00Z',
                      approvers: ['group:default/cab'],
                    },
                  ],
                },
              },
            },
          },
        }),
        { now: () => new Date(at) },
      );
    const subject = {
      environment: 'prod',
      operation: 'change' as const,
      owner: TEAM_A,
      overBudget: false,
    };
    expect(await windowed('2026-12-19T23:59:59Z').need(subject)).toEqual({
      reasons: ['prod needs a platform admin'],
      approvers: [ADMINS],
    });
    expect(await windowed('2026-12-24T12:00:00Z').need(subject)).toEqual({
      reasons: [
        'Year-end freeze (until 2027-01-04T00:00:00.000Z: an emergency change only)',
      ],
      approvers: ['group:default/cab'],
    });
    expect(
      await windowed('2026-12-24T12:00:00Z').need({
        ...subject,
        environment: 'dev',
      }),
    ).toBeUndefined();
    expect(
      (await windowed('2027-01-04T00:00:00Z').need(subject))?.approvers,
    ).toEqual([ADMINS]);
  });

  it("holds runs by a freeze declared in the portal while it lasts, for its approvers alone, and lists it after config's", async () => {
    const windows = new ChangeWindows(db, () => now);
    const r = rules(
      [
        {
          description: 'Weekend nights',
          environments: ['prod'],
          every: { days: ['mon'], from: '22:00', to: '06:00' },
          approvers: ['group:default/on-call'],
        },
      ],
      { declared: windows, now: () => now },
    );
    const subject = {
      environment: 'prod',
      operation: 'change' as const,
      owner: TEAM_A,
      overBudget: false,
    };
    const freeze = {
      description: 'Release freeze',
      environments: ['prod' as const],
      from: '2026-12-05T12:00:00+01:00',
      to: '2026-12-06T00:00:00Z',
      approvers: ['group:default/cab'],
    };
    await expect(
      windows.declare({ ...freeze, to: '2026-12-05T09:00:00Z' }, CAROL),
    ).rejects.toThrow(
      'to: the freeze would have ended already (2026-12-05T09:00:00.000Z): give an end in the future',
    );
    const declared = await windows.declare(freeze, CAROL);

    // Before it starts, the usual rule; the list shows config's window, then the portal's.
    expect(await r.need(subject)).toEqual({
      reasons: ['prod needs a platform admin'],
      approvers: [ADMINS],
    });
    expect(await r.windows()).toEqual([
      {
        id: 'config-1',
        source: 'config',
        description: 'Weekend nights',
        environments: ['prod'],
        when: 'mon 22:00-06:00 (UTC)',
        approvers: ['group:default/on-call'],
        active: false,
      },
      {
        id: declared.id,
        source: 'portal',
        description: 'Release freeze',
        environments: ['prod'],
        when: '2026-12-05T11:00:00.000Z until 2026-12-06T00:00:00.000Z',
        from: '2026-12-05T11:00:00.000Z',
        to: '2026-12-06T00:00:00.000Z',
        approvers: ['group:default/cab'],
        active: false,
        declaredBy: CAROL,
        declaredAt: '2026-12-05T10:00:00.000Z',
      },
    ]);

    // In it, its approvers alone, in its environments only.
    now = new Date('2026-12-05T11:30:00Z');
    expect(await r.need(subject)).toEqual({
      reasons: [
        'Release freeze (until 2026-12-06T00:00:00.000Z: an emergency change only)',
      ],
      approvers: ['group:default/cab'],
    });
    expect(
      await r.need({ ...subject, environment: 'staging' }),
    ).toBeUndefined();
    expect((await r.windows())[1].active).toBe(true);

    // Withdrawn, it holds nothing; withdrawn twice, it is not found.
    await windows.withdraw(declared.id);
    expect((await r.need(subject))?.approvers).toEqual([ADMINS]);
    await expect(windows.withdraw(declared.id)).rejects.toThrow(
      `No change window ${declared.id} in the portal`,
    );

    // Once ended, it is no longer listed.
    await windows.declare(freeze, CAROL);
    now = new Date('2026-12-06T00:00:00Z');
    expect((await r.need(subject))?.approvers).toEqual([ADMINS]);
    expect((await r.windows()).map(w => w.id)).toEqual(['config-1']);
  });

  it('holds prod runs in a weekly window (weekend nights, in its time zone) and lets them by outside it', async () => {
    const at = (iso: string) =>
      ApprovalRules.fromConfig(
        mockServices.rootConfig({
          data: {
            konductor: {
              provisioning: {
                approvals: {
                  rules: [
                    {
                      description: 'Weekend nights',
                      environments: ['prod'],
                      every: {
                        days: ['fri', 'sat'],
                        from: '22:00',
                        to: '06:00',
                        timeZone: 'Europe/Paris',
                      },
                      approvers: ['group:default/on-call'],
                    },
                  ],
                },
              },
            },
          },
        }),
        { now: () => new Date(iso) },
      );
    const subject = {
      environment: 'prod',
      operation: 'change' as const,
      owner: TEAM_A,
      overBudget: false,
    };
    // Paris is UTC+1 in December: Friday 22:00 there is 21:00 UTC.
    expect(await at('2026-12-04T20:59:00Z').need(subject)).toBeUndefined();
    expect(await at('2026-12-04T21:00:00Z').need(subject)).toEqual({
      reasons: [
        'Weekend nights (fri, sat 22:00-06:00 (Europe/Paris): an emergency change only)',
      ],
      approvers: ['group:default/on-call'],
    });
    // Saturday 05:59 in Paris: still Friday's night; Saturday 06:00 to 22:00: open.
    expect(await at('2026-12-05T04:59:00Z').need(subject)).toBeDefined();
    expect(await at('2026-12-05T05:00:00Z').need(subject)).toBeUndefined();
    expect(await at('2026-12-05T21:30:00Z').need(subject)).toBeDefined();
    // Sunday night is not in it, and Sunday morning ends Saturday's.
    expect(await at('2026-12-06T04:00:00Z').need(subject)).toBeDefined();
    expect(await at('2026-12-06T22:00:00Z').need(subject)).toBeUndefined();
    expect(await at('2026-12-07T04:00:00Z').need(subject)).toBeUndefined();
    expect(
      await at('2026-12-04T21:00:00Z').need({ ...subject, environment: 'dev' }),
    ).toBeUndefined();
  });

  it('refuses rules that do not say why or who approves, or windows that end before they start', () => {
    const withRule = (rule: object) => () =>
      ApprovalRules.fromConfig(
        mockServices.rootConfig({
          data: {
            konductor: { provisioning: { approvals: { rules: [rule] } } },
          },
        }),
      );
    expect(
      withRule({ description: 'x', environments: ['qa'], approvers: [] }),
    ).toThrow(
      /^konductor\.provisioning\.approvals\.rules\[0\]: environments\.0: .*; approvers: name who may approve$/,
    );
    expect(
      withRule({
        description: 'freeze',
        from: '2027-01-04T00:00:00Z',
        to: '2026-12-20T00:00:00Z',
        approvers: [ADMINS],
      }),
    ).toThrow(
      'konductor.provisioning.approvals.rules[0]: rule: a change window ends (to) after it starts (from)',
    );
    expect(
      withRule({
        description: 'nights',
        every: {
          days: ['sat'],
          from: '25:00',
          to: '06:00',
          timeZone: 'Mars/Olympus',
        },
        approvers: [ADMINS],
      }),
    ).toThrow(
      'konductor.provisioning.approvals.rules[0]: every.from: must be a time of day as HH:MM, 00:00 to 24:00; every.timeZone: must be an IANA time zone, such as Europe/Paris',
    );
    expect(
      withRule({
        description: 'both',
        from: '2026-12-20T00:00:00Z',
        to: '2027-01-04T00:00:00Z',
        every: { days: ['sat'], from: '00:00', to: '24:00' },
        approvers: [ADMINS],
      }),
    ).toThrow(
      'konductor.provisioning.approvals.rules[0]: rule: a rule has one change window: either from and to, or every (a weekly one)',
    );
  });
});
