import { parseStackSpec } from '@konductor/plugin-provisioning-common';
import {
  CHECKS,
  CheckContext,
  Facts,
  checksFor,
  runCheck,
  stackRequirements,
} from './checks';
import { CONTROLS, LEVELS, inBaseline } from './controls';
import { describeViolations, evaluateStackSpec } from './gate';
import {
  eksSupportOn,
  newestEksVersion,
} from '@konductor/plugin-provisioning-common';

const now = new Date('2026-11-23T12:00:00Z');
const ctx = (
  level: CheckContext['level'] = 'moderate',
  environment = 'prod',
): CheckContext => ({ level, environment, now });
const facts = (values: Record<string, unknown>): Facts =>
  Object.fromEntries(
    Object.entries(values).map(([k, value]) => [
      k,
      { value: value as any, source: 'test', readAt: now.toISOString() },
    ]),
  );
const check = (id: string) => CHECKS.find(c => c.id === id)!;
const status = (id: string, values: Record<string, unknown>, c = ctx()) =>
  runCheck(check(id), facts(values), c).status;

describe('the control catalog', () => {
  it('names every control the checks evidence, with baselines and ISO 27001 mappings', () => {
    for (const c of CHECKS)
      for (const id of c.controls) {
        expect([c.id, CONTROLS[id]?.id]).toEqual([c.id, id]);
        expect(CONTROLS[id].baselines.length).toBeGreaterThan(0);
        expect(CONTROLS[id].iso27001[0]).toMatch(/^A\.[5-8]\.\d+$/);
      }
  });

  it('follows SP 800-53B: SC-28, SC-8 and CM-3 from moderate up, CM-8 everywhere', () => {
    expect(inBaseline(['SC-28'], 'low')).toBe(false);
    expect(inBaseline(['SC-8'], 'low')).toBe(false);
    expect(inBaseline(['CM-3'], 'low')).toBe(false);
    expect(inBaseline(['CM-3', 'CM-5'], 'low')).toBe(true);
    for (const level of LEVELS) expect(inBaseline(['CM-8'], level)).toBe(true);
  });
});

describe('checks: pass, fail and not applicable', () => {
  it.each([
    // [check, passing facts, failing facts, context it fails in]
    [
      'ownership',
      { 'entity.owner': 'group:default/a', 'entity.lifecycle': 'production' },
      { 'entity.owner': null, 'entity.lifecycle': null },
    ],
    [
      'ownership',
      { 'entity.owner': 'user:default/b', 'entity.lifecycle': null },
      { 'entity.owner': 'team-a', 'entity.lifecycle': 'production' },
    ],
    [
      'system-membership',
      { 'entity.system': 'shop' },
      { 'entity.system': null },
    ],
    [
      'documentation',
      {
        'entity.description': 'x',
        'entity.docs': 'dir:.',
        'techdocs.site': { built: true },
      },
      {
        'entity.description': 'x',
        'entity.docs': 'dir:.',
        'techdocs.site': { built: false, reason: 'no mkdocs.yml' },
      },
    ],
    [
      'repo-branch-protection',
      { 'github.branchProtected': true, 'github.requiredReviews': 1 },
      { 'github.branchProtected': false, 'github.requiredReviews': 0 },
    ],
    [
      'repo-codeowners',
      { 'github.codeowners': true },
      { 'github.codeowners': false },
    ],
    [
      'repo-secret-scanning',
      { 'github.secretScanning': true, 'github.pushProtection': true },
      { 'github.secretScanning': true, 'github.pushProtection': false },
    ],
    [
      'repo-vulnerability-alerts',
      { 'github.vulnerabilityAlerts': true },
      { 'github.vulnerabilityAlerts': false },
    ],
    [
      'db-encryption-at-rest',
      { 'rds.storageEncrypted': true },
      { 'rds.storageEncrypted': false },
    ],
    [
      'db-backup-retention',
      { 'rds.backupRetentionDays': 7 },
      { 'rds.backupRetentionDays': 6 },
    ],
    ['db-multi-az', { 'rds.multiAz': true }, { 'rds.multiAz': false }],
    [
      'db-not-public',
      { 'rds.publiclyAccessible': false },
      { 'rds.publiclyAccessible': true },
    ],
    [
      'db-deletion-protection',
      { 'rds.deletionProtection': true },
      { 'rds.deletionProtection': false },
    ],
    [
      'secrets-rotation',
      { 'secrets.rotationDays': 90 },
      { 'secrets.rotationDays': null },
    ],
    [
      'eks-secrets-encryption',
      { 'eks.secretsEncrypted': true },
      { 'eks.secretsEncrypted': false },
    ],
    [
      'eks-control-plane-logging',
      { 'eks.logTypes': ['api', 'audit'] },
      { 'eks.logTypes': ['api'] },
    ],
    [
      'eks-private-endpoint',
      { 'eks.endpointPublicAccess': false },
      { 'eks.endpointPublicAccess': true },
    ],
    [
      'eks-supported-version',
      { 'eks.version': '1.34' },
      { 'eks.version': '1.31' },
    ],
    ['app-tls', { 'app.tls': true }, { 'app.tls': false }],
    [
      'config-drift',
      {
        'drift.resource': {
          state: 'in-sync',
          version: 2,
          scannedAt: '2026-12-03T11:00:00Z',
          attributes: [],
        },
      },
      {
        'drift.resource': {
          state: 'drifted',
          version: 2,
          scannedAt: '2026-12-03T11:00:00Z',
          attributes: [{ field: 'backupRetentionDays', desired: 7, actual: 1 }],
        },
      },
    ],
  ] as [string, Record<string, unknown>, Record<string, unknown>][])(
    '%s: passes and fails on its facts, and says what to change',
    (id, good, bad) => {
      expect(status(id, good)).toBe('pass');
      const failed = runCheck(check(id), facts(bad), ctx());
      expect(failed.status).toBe('fail');
      expect(failed.remediation).toBe(check(id).remediation);
      // The evidence is the facts it looked at, with where they came from.
      expect(failed.evidence.map(e => [e.fact, e.source])).toEqual(
        check(id).facts.map(f => [f, 'test']),
      );
    },
  );

  it('config-drift: names each attribute changed outside Konductor, and a resource gone; nothing to judge before a scan', () => {
    const drift = (value: unknown) =>
      runCheck(
        check('config-drift'),
        facts({ 'drift.resource': value }),
        ctx(),
      );
    expect(
      drift({
        state: 'drifted',
        version: 2,
        scannedAt: '2026-12-03T11:00:00Z',
        attributes: [
          { field: 'backupRetentionDays', desired: 7, actual: 1 },
          { field: 'deletionProtection', desired: true, actual: false },
        ],
      }).message,
    ).toBe(
      'Changed outside Konductor (drift scan of 2026-12-03T11:00:00Z): backupRetentionDays is 1, version 2 says 7; deletionProtection is false, version 2 says true.',
    );
    expect(
      drift({
        state: 'missing',
        version: 2,
        scannedAt: '2026-12-03T11:00:00Z',
        attributes: [],
        detail: 'DB instance shop-dev-db is gone',
      }),
    ).toMatchObject({
      status: 'fail',
      message:
        'DB instance shop-dev-db is gone (drift scan of 2026-12-03T11:00:00Z).',
    });
    expect(drift({}).status).toBe('not-applicable');
    expect(
      drift({
        state: 'unchecked',
        version: 2,
        scannedAt: '2026-12-03T11:00:00Z',
        attributes: [],
        detail: 'Konductor does not read back a secrets resource yet',
      }),
    ).toMatchObject({
      status: 'not-applicable',
      message: 'Konductor does not read back a secrets resource yet',
    });
  });

  it('every check is covered above', () => {
    // A new check must add its row to the table above.
    expect(CHECKS.map(c => c.id).sort()).toEqual(
      [
        'app-tls',
        'config-drift',
        'db-backup-retention',
        'db-deletion-protection',
        'db-encryption-at-rest',
        'db-multi-az',
        'db-not-public',
        'documentation',
        'eks-control-plane-logging',
        'eks-private-endpoint',
        'eks-secrets-encryption',
        'eks-supported-version',
        'ownership',
        'repo-branch-protection',
        'repo-codeowners',
        'repo-secret-scanning',
        'repo-vulnerability-alerts',
        'secrets-rotation',
        'system-membership',
      ].sort(),
    );
  });

  it('is not applicable where the level or environment does not require it', () => {
    // Controls outside the level's baseline (SC-28, SC-8 at low).
    expect(
      status(
        'db-encryption-at-rest',
        { 'rds.storageEncrypted': false },
        ctx('low'),
      ),
    ).toBe('not-applicable');
    expect(status('app-tls', { 'app.tls': false }, ctx('low'))).toBe(
      'not-applicable',
    );
    // Production rules outside production.
    expect(
      status('db-multi-az', { 'rds.multiAz': false }, ctx('moderate', 'dev')),
    ).toBe('not-applicable');
    expect(
      status(
        'db-deletion-protection',
        { 'rds.deletionProtection': false },
        ctx('moderate', 'staging'),
      ),
    ).toBe('not-applicable');
    expect(
      status(
        'eks-private-endpoint',
        { 'eks.endpointPublicAccess': true },
        ctx('moderate', 'dev'),
      ),
    ).toBe('not-applicable');
    // ... which high extends: staging counts as production, the endpoint is private everywhere.
    expect(
      status(
        'db-deletion-protection',
        { 'rds.deletionProtection': false },
        ctx('high', 'staging'),
      ),
    ).toBe('fail');
    expect(
      status(
        'eks-private-endpoint',
        { 'eks.endpointPublicAccess': true },
        ctx('high', 'dev'),
      ),
    ).toBe('fail');
  });

  it.each([
    [
      'db-backup-retention',
      'rds.backupRetentionDays',
      [
        [1, 'low', 'pass'],
        [6, 'moderate', 'fail'],
        [7, 'moderate', 'pass'],
        [13, 'high', 'fail'],
        [14, 'high', 'pass'],
      ],
    ],
    [
      'secrets-rotation',
      'secrets.rotationDays',
      [
        [365, 'low', 'pass'],
        [91, 'moderate', 'fail'],
        [90, 'moderate', 'pass'],
        [31, 'high', 'fail'],
        [30, 'high', 'pass'],
      ],
    ],
    [
      'repo-branch-protection',
      'github.requiredReviews',
      [
        [1, 'moderate', 'pass'],
        [1, 'high', 'fail'],
        [2, 'high', 'pass'],
      ],
    ],
  ] as [string, string, [number, any, string][]][])(
    '%s: thresholds vary by level',
    (id, fact, cases) => {
      for (const [value, level, expected] of cases)
        expect([
          value,
          level,
          status(
            id,
            { [fact]: value, 'github.branchProtected': true },
            ctx(level),
          ),
        ]).toEqual([value, level, expected]);
    },
  );

  it('control plane logging needs more log types at higher levels', () => {
    const logTypes = { 'eks.logTypes': ['api', 'audit'] };
    expect(
      status(
        'eks-control-plane-logging',
        { 'eks.logTypes': ['audit'] },
        ctx('low'),
      ),
    ).toBe('pass');
    expect(status('eks-control-plane-logging', logTypes, ctx('moderate'))).toBe(
      'pass',
    );
    const high = runCheck(
      check('eks-control-plane-logging'),
      facts(logTypes),
      ctx('high'),
    );
    expect(high).toMatchObject({
      status: 'fail',
      message: 'Not logged: authenticator (required at high).',
    });
  });

  it('judges Kubernetes versions by the EKS release calendar on the day', () => {
    expect(eksSupportOn('1.34', now)).toBe('standard');
    expect(eksSupportOn('1.31', now)).toBe('extended');
    expect(eksSupportOn('1.29', now)).toBe('none');
    expect(eksSupportOn('0.9', now)).toBe('unknown');
    expect(newestEksVersion(now)).toBe('1.35');
    // Extended support is enough at low only.
    expect(
      status('eks-supported-version', { 'eks.version': '1.31' }, ctx('low')),
    ).toBe('pass');
    expect(
      runCheck(
        check('eks-supported-version'),
        facts({ 'eks.version': '1.31' }),
        ctx('moderate'),
      ).message,
    ).toBe(
      'Kubernetes 1.31 is out of standard support (extended only); moderate requires standard support. Upgrade to 1.35.',
    );
    // A year earlier, 1.31 was in standard support.
    expect(
      status(
        'eks-supported-version',
        { 'eks.version': '1.31' },
        { ...ctx(), now: new Date('2025-06-01') },
      ),
    ).toBe('pass');
  });

  it('reports a fact that could not be read as an error with the reason, never a pass', () => {
    const result = runCheck(
      check('repo-codeowners'),
      {
        'github.codeowners': {
          source: 'github',
          readAt: now.toISOString(),
          error: 'GitHub answered 503',
        },
      },
      ctx(),
    );
    expect(result).toMatchObject({
      status: 'error',
      message: 'github.codeowners: GitHub answered 503 (github)',
    });
    expect(runCheck(check('repo-codeowners'), {}, ctx())).toMatchObject({
      status: 'error',
      message: 'github.codeowners: not read yet (none)',
    });
  });

  it('applies checks by kind, type and annotation', () => {
    const ids = (target: Parameters<typeof checksFor>[0]) =>
      checksFor(target).map(c => c.id);
    expect(ids({ kind: 'Component' })).toEqual([
      'ownership',
      'system-membership',
      'documentation',
    ]);
    expect(
      ids({
        kind: 'Component',
        annotations: { 'github.com/project-slug': 'acme/shop' },
      }),
    ).toContain('repo-codeowners');
    expect(ids({ kind: 'Resource', type: 'aws-rds-postgres' })).toContain(
      'db-backup-retention',
    );
    expect(ids({ kind: 'Resource', type: 'kubernetes-cluster' })).toContain(
      'eks-supported-version',
    );
    expect(ids({ kind: 'Group' })).toEqual([]);
  });
});

describe('the gate', () => {
  const spec = (overrides: object = {}) =>
    parseStackSpec({
      name: 'shop',
      environment: 'prod',
      target: {
        provider: 'aws',
        accountId: '123456789012',
        region: 'us-east-1',
      },
      complianceLevel: 'moderate',
      resources: {
        network: { cidr: '10.0.0.0/16' },
        database: { multiAz: true, deletionProtection: true },
        secrets: { generated: ['SESSION_KEY'], rotationDays: 30 },
        cluster: {},
        app: { image: 'shop:1' },
      },
      ...overrides,
    });

  it('accepts a compliant stack, having run the same checks on every resource', () => {
    const verdict = evaluateStackSpec(spec(), { now });
    expect(verdict.violations).toEqual([]);
    expect(verdict.allowed).toBe(true);
    expect(
      verdict.results.map(
        r => `${r.resource}:${r.result.checkId}:${r.result.status}`,
      ),
    ).toEqual([
      'database:db-encryption-at-rest:pass',
      'database:db-backup-retention:pass',
      'database:db-multi-az:pass',
      'database:db-not-public:pass',
      'database:db-deletion-protection:pass',
      'database:secrets-rotation:pass',
      'secrets:secrets-rotation:pass',
      'cluster:eks-secrets-encryption:pass',
      'cluster:eks-control-plane-logging:pass',
      'cluster:eks-private-endpoint:pass',
      'cluster:eks-supported-version:pass',
      'app:app-tls:pass',
    ]);
  });

  it('refuses a non-compliant stack with every field to change', () => {
    const verdict = evaluateStackSpec(
      spec({
        resources: {
          network: { cidr: '10.0.0.0/16' },
          database: {
            backupRetentionDays: 3,
            encrypted: false,
            passwordRotationDays: 120,
          },
          secrets: { generated: ['SESSION_KEY'] },
          cluster: { publicEndpoint: true, kubernetesVersion: '1.31' },
          app: { image: 'shop:1', tls: false },
        },
      }),
      { now },
    );
    expect(verdict.allowed).toBe(false);
    expect(
      verdict.violations.map(v => [v.fields.join(','), v.controls.join(',')]),
    ).toEqual([
      ['resources.database.encrypted', 'SC-28'],
      ['resources.database.backupRetentionDays', 'CP-9'],
      ['resources.database.multiAz', 'CP-10'],
      ['resources.database.deletionProtection', 'CP-9'],
      ['resources.database.passwordRotationDays', 'IA-5(1)'],
      ['resources.secrets.rotationDays', 'IA-5(1)'],
      ['resources.cluster.publicEndpoint', 'SC-7'],
      ['resources.cluster.kubernetesVersion', 'SI-2'],
      ['resources.app.tls', 'SC-8'],
    ]);
    expect(describeViolations(verdict)).toContain(
      'resources.database.backupRetentionDays: Backups kept 3 days; moderate requires at least 7. Set resources.database.backupRetentionDays',
    );
  });

  it('holds a dev stack at low to less', () => {
    const verdict = evaluateStackSpec(
      spec({
        environment: 'dev',
        complianceLevel: 'low',
        resources: {
          network: { cidr: '10.0.0.0/16' },
          database: {
            backupRetentionDays: 1,
            encrypted: false,
            passwordRotationDays: 365,
          },
          secrets: { generated: ['SESSION_KEY'], rotationDays: 365 },
        },
      }),
      { now },
    );
    expect(verdict.violations).toEqual([]);
  });

  it('names the field of each named resource, and evaluates every database', () => {
    const verdict = evaluateStackSpec(
      spec({
        resources: {
          network: { cidr: '10.0.0.0/16' },
          'orders-db': {
            kind: 'database',
            multiAz: true,
            deletionProtection: true,
          },
          'analytics-db': {
            kind: 'database',
            multiAz: true,
            deletionProtection: true,
            backupRetentionDays: 1,
          },
        },
      }),
      { now },
    );
    expect(verdict.violations.map(v => [v.resource, v.fields])).toEqual([
      ['analytics-db', ['resources.analytics-db.backupRetentionDays']],
    ]);
    expect(
      verdict.results.filter(r => r.result.checkId === 'db-multi-az'),
    ).toHaveLength(2);
  });
});

describe('stackRequirements', () => {
  it('lists more, and stricter, requirements as the level rises', () => {
    const low = stackRequirements('low');
    const moderate = stackRequirements('moderate');
    const high = stackRequirements('high');
    expect(moderate).toContain(
      'Database backups retained long enough: at least 7 days (CP-9)',
    );
    expect(high).toContain(
      'Database backups retained long enough: at least 14 days (CP-9)',
    );
    expect(moderate).toContain(
      'Secrets rotated: at least every 90 days (IA-5(1))',
    );
    // Encryption at rest (SC-28) is not in the Low baseline.
    expect(low.some(r => r.includes('SC-28'))).toBe(false);
    expect(moderate).toContain('Database encrypted at rest (SC-28)');
    expect(high.length).toBeGreaterThanOrEqual(moderate.length);
  });
});
