import {
  ACMClient,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
} from '@aws-sdk/client-acm';
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import * as k8s from '@kubernetes/client-node';
import { evaluateStackSpec } from '@konductor/plugin-compliance-common';
import {
  parseStackSpec,
  ProvisioningEvent,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import {
  AwsClientFactory,
  AwsProvider,
  CloudProvider,
  destroyStack,
  provisionStack,
} from '@konductor/plugin-provisioning-node';
import {
  checkpointStore,
  credentials,
  durations,
  kubeClient,
  dyingProvider,
  sandboxProvider,
} from '@konductor/plugin-provisioning-node/testUtils';
import { startSandbox, Sandbox, STARTER_IMAGE } from '@konductor/sandbox';
import { DOMAIN_CHECKS } from './domain';
import { domainKind } from './module';

describe('the domain kind against the sandbox', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;

  beforeEach(async () => {
    sandbox = await startSandbox({
      seed: 7,
      durations: { ...durations, certificateIssue: 150 },
      hostedZones: ['example.com'],
    });
    provider = sandboxProvider(sandbox, [domainKind], {
      appDomain: 'apps.example.net',
    });
  });
  afterEach(() => sandbox.stop());

  // The test's own reads: retried through the throttling a test injects (30% of calls), which
  // is the provider's to survive, not the observer's (the SDK's default 3 attempts fail 2.7%).
  const client = async <T>(Client: new (config: any) => T) =>
    new Client({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
      maxAttempts: 10,
    });
  const zoneId = async () =>
    (
      await (
        await client(Route53Client)
      ).send(new ListHostedZonesByNameCommand({ DNSName: 'example.com' }))
    ).HostedZones![0].Id!;
  /** The zone's records other than its own NS and SOA, as `name type value`. */
  const records = async () =>
    (
      await (
        await client(Route53Client)
      ).send(
        new ListResourceRecordSetsCommand({ HostedZoneId: await zoneId() }),
      )
    )
      .ResourceRecordSets!.filter(r => r.Name !== 'example.com.')
      .map(
        r =>
          `${r.Name} ${r.Type} ${r
            .ResourceRecords!.map(v => v.Value)
            .join(' ')}`,
      );
  const certificates = async () =>
    (await (await client(ACMClient)).send(new ListCertificatesCommand({})))
      .CertificateSummaryList ?? [];
  const spec = (
    resources: Record<string, object> = {},
    owner = 'group:default/team-a',
    name = 'shop',
  ) =>
    parseStackSpec(
      {
        name,
        environment: 'dev',
        owner,
        target: {
          provider: 'aws',
          accountId: '123456789012',
          region: 'us-east-1',
        },
        resources: {
          web: { kind: 'domain', zone: 'example.com', host: 'shop' },
          ...resources,
        },
      },
      provider.kinds,
    );
  const run = (
    s = spec(),
    options: {
      runId?: string;
      events?: ProvisioningEvent[];
      provider?: CloudProvider;
      checkpoint?: ReturnType<typeof checkpointStore>;
    } = {},
  ) =>
    provisionStack({
      spec: s,
      provider: options.provider ?? provider,
      runId: options.runId ?? 'task-1_shop-dev',
      checkpoint: options.checkpoint ?? checkpointStore(),
      onEvent: e => options.events?.push(e),
    });

  it('gives the app a name of its own in the zone with an issued certificate, served by its ingress', async () => {
    const events: ProvisioningEvent[] = [];
    const outputs = await run(
      spec({
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: { image: STARTER_IMAGE, domain: 'web' },
      }),
      { events },
    );
    expect(outputs.web).toEqual({
      fqdn: 'shop.example.com',
      url: 'https://shop.example.com',
      arn: expect.stringMatching(
        /^arn:aws:acm:us-east-1:123456789012:certificate\//,
      ),
      hostedZoneId: (await zoneId()).replace('/hostedzone/', ''),
    });
    expect(outputs.app.url).toBe('https://shop.example.com');
    const arn = String(outputs.web.arn);
    const acm = await client(ACMClient);
    const { Certificate } = await acm.send(
      new DescribeCertificateCommand({ CertificateArn: arn }),
    );
    expect(Certificate).toMatchObject({
      DomainName: 'shop.example.com',
      Status: 'ISSUED',
      DomainValidationOptions: [{ ValidationMethod: 'DNS' }],
    });
    const { Tags } = await acm.send(
      new ListTagsForCertificateCommand({ CertificateArn: arn }),
    );
    expect(Tags).toEqual(
      expect.arrayContaining([
        { Key: 'konductor:stack', Value: 'shop-dev' },
        { Key: 'konductor:owner', Value: 'group:default/team-a' },
      ]),
    );
    const validation = Certificate!.DomainValidationOptions![0].ResourceRecord!;
    expect(await records()).toEqual([
      'shop.example.com. CNAME shop-dev.apps.example.net',
      `${validation.Name} CNAME ${validation.Value}`,
      expect.stringMatching(
        /^_konductor\.shop\.example\.com\. TXT .*"konductor:stack=shop-dev".*"konductor:owner=group:default\/team-a"/,
      ),
    ]);

    // The app waited for its name, and its ingress serves it with the certificate.
    const at = (resource: string, status: string) =>
      events.findIndex(e => e.resource === resource && e.status === status);
    expect(at('web', 'ready')).toBeLessThan(at('app', 'creating'));
    const ingress = await (
      await kubeClient(sandbox, outputs.cluster, k8s.NetworkingV1Api)
    ).readNamespacedIngress({ name: 'shop', namespace: 'shop-dev' });
    expect(ingress.metadata!.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/certificate-arn': arn,
    });
    expect(ingress.spec!.rules!.map(r => r.host)).toEqual([
      'shop-dev.apps.example.net',
      'shop.example.com',
    ]);
  });

  it('resumes a run killed while the certificate was pending, without a second certificate', async () => {
    for (const service of ['acm', 'route53'])
      sandbox.faults.add({ service, kind: 'throttle', probability: 0.3 });
    const checkpoint = checkpointStore();
    const { provider: dying, kill } = dyingProvider(provider, 'web');
    void run(spec(), { provider: dying, checkpoint });
    while (!(await certificates()).length)
      await new Promise(r => setTimeout(r, 10));
    kill();

    const outputs = await run(spec(), { checkpoint, runId: 'task-2_shop-dev' });
    const certs = await certificates();
    expect(certs.map(c => [c.CertificateArn, c.Status])).toEqual([
      [outputs.web.arn, 'ISSUED'],
    ]);
    expect(await records()).toHaveLength(3);
  });

  it('refuses a name another stack owns, or that no stack owns, and leaves it as it was', async () => {
    await run();
    const before = await records();
    const error = await run(spec({}, 'group:default/team-b', 'store'), {
      runId: 'task-2_store-dev',
    }).catch(e => e);
    expect(error.message).toMatch(
      /DNS name shop.example.com.*belongs to stack shop-dev/,
    );
    expect(await records()).toEqual(before);
    expect(await certificates()).toHaveLength(1);

    // A record someone made by hand carries no ownership record: not adopted either.
    await (
      await client(Route53Client)
    ).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: await zoneId(),
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'www.example.com',
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: 'legacy.example.net' }],
              },
            },
          ],
        },
      }),
    );
    const manual = await run(
      parseStackSpec(
        {
          name: 'www',
          environment: 'dev',
          owner: 'group:default/team-a',
          target: {
            provider: 'aws',
            accountId: '123456789012',
            region: 'us-east-1',
          },
          resources: {
            web: { kind: 'domain', zone: 'example.com', host: 'www' },
          },
        },
        provider.kinds,
      ),
      { runId: 'task-3_www-dev' },
    ).catch(e => e);
    expect(manual.message).toMatch(/carries no Konductor stack tag/);
    expect(await records()).toContain(
      'www.example.com. CNAME legacy.example.net',
    );
  });

  it('rolls back the name the run created when ACM refuses the certificate', async () => {
    sandbox.faults.add({
      service: 'acm',
      operation: 'RequestCertificate',
      kind: 'quota',
    });
    const error = await run().catch(e => e);
    expect(error.message).toMatch(/quota/);
    expect(error.rolledBack).toEqual(['web']);
    expect(await records()).toEqual([]);
  });

  it('says what to do when the zone does not exist', async () => {
    const error = await run(
      spec({ web: { kind: 'domain', zone: 'example.org', host: 'shop' } }),
    ).catch(e => e);
    expect(error.message).toMatch(
      /No public Route 53 hosted zone named example.org. in account 123456789012: choose a zone the account has/,
    );
  });

  it("destroys the certificate and the records it wrote, not another's under the name; again is a no-op", async () => {
    await run();
    // Someone else's record below the name is not the stack's to delete.
    await (
      await client(Route53Client)
    ).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: await zoneId(),
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'api.shop.example.com',
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: 'api.example.net' }],
              },
            },
          ],
        },
      }),
    );
    for (const runId of ['destroy-1', 'destroy-2'])
      await destroyStack({ spec: spec(), provider, runId, onEvent: () => {} });
    expect(await certificates()).toEqual([]);
    expect(await records()).toEqual([
      'api.shop.example.com. CNAME api.example.net',
    ]);
  });
});

describe('the domain kind in stack specs and the gate', () => {
  const provider = new AwsProvider(
    { clients: new AwsClientFactory({ credentials }) },
    [domainKind],
  );
  const kinds = provider.kinds;
  const stack = (web: object, app: object = {}) => ({
    name: 'shop',
    environment: 'prod',
    target: { provider: 'aws', accountId: '123456789012', region: 'us-east-1' },
    resources: {
      network: { cidr: '10.0.0.0/16' },
      cluster: {},
      web: { kind: 'domain', zone: 'example.com', host: 'shop', ...web },
      app: { image: STARTER_IMAGE, domain: 'web', ...app },
    },
  });
  const problems = (input: object) =>
    validateStackSpec(input, kinds).problems.map(
      p => `${p.path}: ${p.message}`,
    );

  it('says what to change for names, and for an app whose domain is not one', () => {
    expect(problems(stack({}))).toEqual([]);
    expect(problems(stack({ host: 'Shop_1' }))).toEqual([
      'resources.web.host: must be one DNS label: lower-case letters, digits and hyphens, 1 to 63 characters',
    ]);
    expect(problems(stack({ host: 'a'.repeat(60) }))[0]).toMatch(
      /is 72 characters; a certificate's name holds at most 64: shorten host/,
    );
    expect(problems(stack({}, { domain: 'network' }))).toEqual([
      "resources.app.domain: 'network' gives no DNS name and certificate (outputs fqdn and arn): name a resource of kind domain",
    ]);
    expect(problems(stack({}, { domain: 'site' }))).toEqual([
      "resources.app.domain: 'site' is not a resource of this stack: name the domain resource that gives the app its DNS name",
    ]);
    expect(problems(stack({}, { tls: false }))).toEqual([
      "resources.app.tls: the domain 'web' serves the app over HTTPS with its certificate: set tls: true, or remove domain",
    ]);
  });

  it('is gated by its own checks: a DNS-validated certificate with a strong key', () => {
    const verdict = evaluateStackSpec(parseStackSpec(stack({}), kinds), {
      kinds,
      checks: DOMAIN_CHECKS,
    });
    expect(verdict.allowed).toBe(true);
    expect(
      verdict.results.map(r => `${r.result.checkId}:${r.result.status}`),
    ).toEqual([
      'domain-certificate-renewal:pass',
      'domain-certificate-key:pass',
    ]);
  });
});
