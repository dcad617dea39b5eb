import {
  ACMClient,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RequestCertificateCommand,
} from '@aws-sdk/client-acm';
import {
  Change,
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { aws, eventually, useSandbox } from '../__testUtils__/sandbox';

const record = (
  Action: 'CREATE' | 'UPSERT' | 'DELETE',
  Name: string,
  Type: 'CNAME' | 'TXT' | 'A',
  Value: string,
): Change => ({
  Action,
  ResourceRecordSet: {
    Name,
    Type,
    TTL: 300,
    ResourceRecords: [{ Value }],
  },
});

describe('Route 53', () => {
  const sandbox = useSandbox({ hostedZones: ['example.com'] });
  const r53 = () => new Route53Client(aws(sandbox()));
  const zoneId = async (name: string) =>
    (
      await r53().send(new ListHostedZonesByNameCommand({ DNSName: name }))
    ).HostedZones!.find(z => z.Name === `${name}.`)!.Id!;

  it('seeds the public zone, lists zones by name from the name on, and has no zone of another account', async () => {
    await r53().send(
      new CreateHostedZoneCommand({
        Name: 'shop.example.org',
        CallerReference: 'shop-1',
      }),
    );
    await expect(
      r53().send(
        new CreateHostedZoneCommand({
          Name: 'other.example.org',
          CallerReference: 'shop-1',
        }),
      ),
    ).rejects.toMatchObject({ name: 'HostedZoneAlreadyExists' });
    const { HostedZones } = await r53().send(
      new ListHostedZonesByNameCommand({ DNSName: 'example.com' }),
    );
    // From example.com on, in the order of reversed labels: a later name is listed too.
    expect(HostedZones!.map(z => z.Name)).toEqual([
      'example.com.',
      'shop.example.org.',
    ]);
    expect(HostedZones![0].Config?.PrivateZone).toBe(false);
    expect(HostedZones![0].ResourceRecordSetCount).toBe(2);
    const other = new Route53Client(aws(sandbox(), 'AKIA210987654321'));
    expect(
      (await other.send(new ListHostedZonesByNameCommand({}))).HostedZones,
    ).toEqual([]);
    await expect(
      other.send(new GetHostedZoneCommand({ Id: HostedZones![0].Id })),
    ).rejects.toMatchObject({ name: 'NoSuchHostedZone' });
  });

  it('changes records in atomic batches with Route 53 refusals, each change PENDING then INSYNC', async () => {
    const id = await zoneId('example.com');
    const created = await r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: {
          Changes: [
            record('CREATE', 'web.example.com', 'CNAME', 'lb.example.net'),
            record('CREATE', '_own.web.example.com', 'TXT', '"stack=shop"'),
          ],
        },
      }),
    );
    expect(created.ChangeInfo!.Status).toBe('PENDING');
    await eventually(async () =>
      (
        await r53().send(new GetChangeCommand({ Id: created.ChangeInfo!.Id }))
      ).ChangeInfo!.Status === 'INSYNC'
        ? true
        : undefined,
    );

    const refused = async (changes: Change[], message: RegExp) =>
      expect(
        r53().send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: id,
            ChangeBatch: { Changes: changes },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidChangeBatch', message });
    await refused(
      [record('CREATE', 'web.example.com', 'CNAME', 'x.example.net')],
      /Tried to create resource record set \[name='web.example.com.', type='CNAME'\] but it already exists/,
    );
    await refused(
      [record('CREATE', 'web.example.com', 'TXT', '"a"')],
      /conflicts with other records with the same DNS name/,
    );
    await refused(
      [record('DELETE', 'web.example.com', 'CNAME', 'other.example.net')],
      /values provided do not match the current values/,
    );
    await refused(
      [record('CREATE', 'web.example.org', 'CNAME', 'lb.example.net')],
      /not permitted in zone example.com./,
    );
    await refused(
      [record('CREATE', 'example.com', 'CNAME', 'lb.example.net')],
      /not permitted at apex/,
    );
    await refused(
      [record('CREATE', 'txt.example.com', 'TXT', 'unquoted')],
      /enclosed in quotation marks/,
    );
    // All or nothing: the valid first change of a refused batch is not applied either.
    await refused(
      [
        record('CREATE', 'api.example.com', 'CNAME', 'lb.example.net'),
        record('DELETE', 'gone.example.com', 'CNAME', 'lb.example.net'),
      ],
      /Tried to delete resource record set \[name='gone.example.com.', type='CNAME'\] but it was not found/,
    );
    const { ResourceRecordSets } = await r53().send(
      new ListResourceRecordSetsCommand({ HostedZoneId: id }),
    );
    expect(ResourceRecordSets!.map(r => `${r.Name} ${r.Type}`)).toEqual([
      'example.com. NS',
      'example.com. SOA',
      'web.example.com. CNAME',
      '_own.web.example.com. TXT',
    ]);
    await expect(
      r53().send(new DeleteHostedZoneCommand({ Id: id })),
    ).rejects.toMatchObject({ name: 'HostedZoneNotEmpty' });
  });

  it('pages record sets from a name on with maxitems and the next name and type', async () => {
    const id = await zoneId('example.com');
    const first = await r53().send(
      new ListResourceRecordSetsCommand({ HostedZoneId: id, MaxItems: 3 }),
    );
    expect(first.ResourceRecordSets).toHaveLength(3);
    expect(first.IsTruncated).toBe(true);
    const rest = await r53().send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: id,
        StartRecordName: first.NextRecordName,
        StartRecordType: first.NextRecordType,
      }),
    );
    expect(rest.IsTruncated).toBe(false);
    expect(rest.ResourceRecordSets!.map(r => r.Name)).toEqual([
      '_own.web.example.com.',
    ]);
  });
});

describe('ACM', () => {
  const sandbox = useSandbox({ hostedZones: ['example.com'] });
  const acm = () => new ACMClient(aws(sandbox()));
  const r53 = () => new Route53Client(aws(sandbox()));

  it('offers the validation record after a moment and issues the certificate once the record is in a public zone', async () => {
    const { CertificateArn } = await acm().send(
      new RequestCertificateCommand({
        DomainName: 'shop.example.com',
        ValidationMethod: 'DNS',
        IdempotencyToken: 'shopdev',
        Tags: [{ Key: 'konductor:stack', Value: 'shop-dev' }],
      }),
    );
    // The same token within the hour: the same certificate, not a second one.
    const again = await acm().send(
      new RequestCertificateCommand({
        DomainName: 'shop.example.com',
        ValidationMethod: 'DNS',
        IdempotencyToken: 'shopdev',
      }),
    );
    expect(again.CertificateArn).toBe(CertificateArn);
    const describe = async () =>
      (await acm().send(new DescribeCertificateCommand({ CertificateArn })))
        .Certificate!;
    expect((await describe()).Status).toBe('PENDING_VALIDATION');
    const option = await eventually(
      async () => (await describe()).DomainValidationOptions![0].ResourceRecord,
    );
    expect(option).toMatchObject({
      Type: 'CNAME',
      Name: expect.stringMatching(/^_\w+\.shop\.example\.com\.$/),
      Value: expect.stringMatching(/\.acm-validations\.aws\.$/),
    });
    const { HostedZones } = await r53().send(
      new ListHostedZonesByNameCommand({ DNSName: 'example.com' }),
    );
    await r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: HostedZones![0].Id,
        ChangeBatch: {
          Changes: [record('UPSERT', option.Name!, 'CNAME', option.Value!)],
        },
      }),
    );
    const issued = await eventually(async () => {
      const c = await describe();
      return c.Status === 'ISSUED' ? c : undefined;
    });
    expect(issued.DomainValidationOptions![0].ValidationStatus).toBe('SUCCESS');
    expect(issued.NotAfter!.getTime()).toBeGreaterThan(Date.now());
    expect(
      (await acm().send(new ListTagsForCertificateCommand({ CertificateArn })))
        .Tags,
    ).toEqual([{ Key: 'konductor:stack', Value: 'shop-dev' }]);
  });

  it('refuses what ACM refuses, pages its list and deletes', async () => {
    await expect(
      acm().send(
        new RequestCertificateCommand({
          DomainName: '-bad.example.com',
          ValidationMethod: 'DNS',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      acm().send(
        new RequestCertificateCommand({
          DomainName: 'x.example.com',
          ValidationMethod: 'DNS',
          Tags: [{ Key: 'aws:owner', Value: 'me' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTagException' });
    await expect(
      acm().send(
        new RequestCertificateCommand({
          DomainName: `${'a'.repeat(60)}.example.com`,
          ValidationMethod: 'DNS',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: /cannot exceed 64 octets/,
    });
    await expect(
      acm().send(new DescribeCertificateCommand({ CertificateArn: 'nope' })),
    ).rejects.toMatchObject({ name: 'InvalidArnException' });
    const { CertificateArn } = await acm().send(
      new RequestCertificateCommand({
        DomainName: 'api.example.com',
        ValidationMethod: 'DNS',
      }),
    );
    const first = await acm().send(
      new ListCertificatesCommand({ MaxItems: 1 }),
    );
    expect(first.CertificateSummaryList).toHaveLength(1);
    const rest = await acm().send(
      new ListCertificatesCommand({ NextToken: first.NextToken }),
    );
    expect(
      [...first.CertificateSummaryList!, ...rest.CertificateSummaryList!].map(
        c => c.DomainName,
      ),
    ).toEqual(['shop.example.com', 'api.example.com']);
    await acm().send(new DeleteCertificateCommand({ CertificateArn }));
    await expect(
      acm().send(new DescribeCertificateCommand({ CertificateArn })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
