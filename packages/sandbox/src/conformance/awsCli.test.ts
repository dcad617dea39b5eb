import { awsCliEnv, hasClient, runClient } from '../__testUtils__/clients';
import { useSandbox } from '../__testUtils__/sandbox';

// Each test runs a few dozen CLI processes (about a second each on a busy machine).
const CLI_TIMEOUT = 180_000;

// The AWS CLI (botocore parses every answer against AWS's own service models and runs AWS's own
// waiters) against the sandbox, expecting what AWS documents (and moto's tests agree with).
(hasClient('aws', ['--version']) ? describe : describe.skip)(
  'the AWS CLI against the sandbox',
  () => {
    const sandbox = useSandbox({ vpcLimit: 10 });
    const aws = async (...args: string[]) => {
      const result = await runClient(
        'aws',
        ['--endpoint-url', sandbox().url, ...args, '--output', 'json'],
        awsCliEnv(),
      );
      return {
        ...result,
        json:
          result.code === 0 && result.stdout
            ? JSON.parse(result.stdout)
            : undefined,
      };
    };
    /** The error code the CLI prints: `An error occurred (Code) when calling ...`. */
    const errorOf = async (...args: string[]) => {
      const { code, stderr } = await aws(...args);
      expect(code).not.toBe(0);
      return /An error occurred \(([^)]+)\)/.exec(stderr)?.[1] ?? stderr;
    };

    it(
      'Signatures: botocore signs every service as the sandbox verifies; another secret, an unknown key and a wrong session token are refused',
      async () => {
        // Each service's own refusal, as botocore reads it from each protocol's error shape.
        const refused = async (
          env: Record<string, string>,
          ...args: string[]
        ) => {
          const { code, stderr } = await runClient(
            'aws',
            ['--endpoint-url', sandbox().url, ...args],
            { ...awsCliEnv(), ...env },
          );
          expect(code).not.toBe(0);
          return /An error occurred \(([^)]+)\)/.exec(stderr)?.[1] ?? stderr;
        };
        const guessed = (...args: string[]) =>
          refused({ AWS_SECRET_ACCESS_KEY: 'guessed' }, ...args);
        const calls = [
          ['sts', 'get-caller-identity'],
          ['ec2', 'describe-vpcs'],
          ['rds', 'describe-db-instances'],
          ['secretsmanager', 'list-secrets'],
          ['eks', 'list-clusters'],
          ['s3api', 'list-buckets'],
        ];
        const refusals: string[] = [];
        for (const call of calls) refusals.push(await guessed(...call));
        expect(refusals).toEqual([
          'SignatureDoesNotMatch',
          'SignatureDoesNotMatch',
          'SignatureDoesNotMatch',
          'InvalidSignatureException',
          'InvalidSignatureException',
          'SignatureDoesNotMatch',
        ]);
        // A key id no identity has (AWS's documentation example), and temporary credentials
        // without the session token issued with them.
        const unknown: string[] = [];
        for (const call of calls)
          unknown.push(
            await refused(
              { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' },
              ...call,
            ),
          );
        expect(unknown).toEqual([
          'InvalidClientTokenId',
          'AuthFailure',
          'InvalidClientTokenId',
          'UnrecognizedClientException',
          'UnrecognizedClientException',
          'InvalidAccessKeyId',
        ]);
        expect(
          await refused(
            {
              AWS_ACCESS_KEY_ID: 'ASIA123456789012',
              AWS_SESSION_TOKEN: 'guessed',
            },
            'sts',
            'get-caller-identity',
          ),
        ).toBe('InvalidClientTokenId');
        const codes: number[] = [];
        for (const call of calls) codes.push((await aws(...call)).code);
        expect(codes).toEqual(calls.map(() => 0));
      },
      CLI_TIMEOUT,
    );

    it(
      'EC2: VPC ranges, DNS attributes, default objects, waiters, filters and dependencies',
      async () => {
        const vpc = (
          await aws('ec2', 'create-vpc', '--cidr-block', '10.50.0.0/16')
        ).json.Vpc.VpcId;
        expect(vpc).toMatch(/^vpc-[0-9a-f]{17}$/);
        expect(
          (await aws('ec2', 'wait', 'vpc-available', '--vpc-ids', vpc)).code,
        ).toBe(0);
        // A VPC's block is /16 to /28; a block that is no CIDR is another error.
        expect(
          await errorOf('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/29'),
        ).toBe('InvalidVpc.Range');
        expect(
          await errorOf('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/33'),
        ).toBe('InvalidParameterValue');
        // A nondefault VPC resolves DNS but gives no DNS host names until asked.
        const attribute = async (name: string) =>
          (
            await aws(
              'ec2',
              'describe-vpc-attribute',
              '--vpc-id',
              vpc,
              '--attribute',
              name,
            )
          ).json;
        expect(
          (await attribute('enableDnsSupport')).EnableDnsSupport.Value,
        ).toBe(true);
        expect(
          (await attribute('enableDnsHostnames')).EnableDnsHostnames.Value,
        ).toBe(false);
        expect(
          (
            await aws(
              'ec2',
              'modify-vpc-attribute',
              '--vpc-id',
              vpc,
              '--enable-dns-hostnames',
              '{"Value":true}',
            )
          ).code,
        ).toBe(0);
        expect(
          (await attribute('enableDnsHostnames')).EnableDnsHostnames.Value,
        ).toBe(true);

        // Every VPC has a main route table and a default security group; they go only with it.
        const main = (
          await aws(
            'ec2',
            'describe-route-tables',
            '--filters',
            `Name=vpc-id,Values=${vpc}`,
            'Name=association.main,Values=true',
          )
        ).json.RouteTables;
        expect(main).toHaveLength(1);
        expect(
          await errorOf(
            'ec2',
            'delete-route-table',
            '--route-table-id',
            main[0].RouteTableId,
          ),
        ).toBe('DependencyViolation');
        const groups = (
          await aws(
            'ec2',
            'describe-security-groups',
            '--filters',
            `Name=vpc-id,Values=${vpc}`,
          )
        ).json.SecurityGroups;
        expect(groups.map((g: { GroupName: string }) => g.GroupName)).toEqual([
          'default',
        ]);
        expect(
          await errorOf(
            'ec2',
            'delete-security-group',
            '--group-id',
            groups[0].GroupId,
          ),
        ).toBe('CannotDelete');

        // A subnet's block lies inside its VPC's.
        expect(
          await errorOf(
            'ec2',
            'create-subnet',
            '--vpc-id',
            vpc,
            '--cidr-block',
            '10.51.0.0/24',
            '--availability-zone',
            'us-east-1a',
          ),
        ).toBe('InvalidSubnet.Range');
        const subnet = (
          await aws(
            'ec2',
            'create-subnet',
            '--vpc-id',
            vpc,
            '--cidr-block',
            '10.50.1.0/24',
            '--availability-zone',
            'us-east-1a',
          )
        ).json.Subnet.SubnetId;
        const inVpc = (
          await aws(
            'ec2',
            'describe-subnets',
            '--filters',
            `Name=vpc-id,Values=${vpc}`,
          )
        ).json.Subnets;
        expect(inVpc.map((s: { SubnetId: string }) => s.SubnetId)).toEqual([
          subnet,
        ]);
        expect(
          await errorOf(
            'ec2',
            'describe-subnets',
            '--filters',
            'Name=no-such-filter,Values=x',
          ),
        ).toBe('InvalidParameterValue');

        // An attached gateway is found by its VPC; a detached one in the account neither matches
        // nor makes the filter invalid.
        const igw = (await aws('ec2', 'create-internet-gateway')).json
          .InternetGateway.InternetGatewayId;
        await aws('ec2', 'create-internet-gateway');
        await aws(
          'ec2',
          'attach-internet-gateway',
          '--internet-gateway-id',
          igw,
          '--vpc-id',
          vpc,
        );
        expect(
          (
            await aws(
              'ec2',
              'describe-internet-gateways',
              '--filters',
              `Name=attachment.vpc-id,Values=${vpc}`,
            )
          ).json.InternetGateways.map(
            (g: { InternetGatewayId: string }) => g.InternetGatewayId,
          ),
        ).toEqual([igw]);

        // A VPC with a subnet and a gateway attached cannot be deleted.
        expect(await errorOf('ec2', 'delete-vpc', '--vpc-id', vpc)).toBe(
          'DependencyViolation',
        );
        expect(
          await errorOf(
            'ec2',
            'describe-vpcs',
            '--vpc-ids',
            'vpc-0123456789abcdef0',
          ),
        ).toBe('InvalidVpcID.NotFound');
      },
      CLI_TIMEOUT,
    );

    it(
      'Secrets Manager: values, rotation without a function, missing secrets',
      async () => {
        const created = (
          await aws(
            'secretsmanager',
            'create-secret',
            '--name',
            'conf/db',
            '--secret-string',
            '{"password":"p"}',
          )
        ).json;
        expect(created.ARN).toMatch(
          /^arn:aws:secretsmanager:us-east-1:123456789012:secret:conf\/db-[A-Za-z0-9]{6}$/,
        );
        expect(
          (
            await aws(
              'secretsmanager',
              'get-secret-value',
              '--secret-id',
              'conf/db',
            )
          ).json.SecretString,
        ).toBe('{"password":"p"}');
        // Rotation needs a rotation function, given now or before.
        expect(
          await errorOf(
            'secretsmanager',
            'rotate-secret',
            '--secret-id',
            'conf/db',
          ),
        ).toBe('InvalidRequestException');
        expect(
          (
            await aws(
              'secretsmanager',
              'delete-secret',
              '--secret-id',
              'conf/db',
              '--force-delete-without-recovery',
            )
          ).code,
        ).toBe(0);
        expect(
          await errorOf(
            'secretsmanager',
            'get-secret-value',
            '--secret-id',
            'conf/none',
          ),
        ).toBe('ResourceNotFoundException');
      },
      CLI_TIMEOUT,
    );

    it(
      'RDS: identifiers, missing instances, page sizes and filters',
      async () => {
        expect(
          await errorOf(
            'rds',
            'create-db-instance',
            '--db-instance-identifier',
            '1-starts-with-a-digit',
            '--engine',
            'postgres',
            '--db-instance-class',
            'db.t4g.micro',
            '--allocated-storage',
            '20',
            '--master-username',
            'app',
            '--manage-master-user-password',
          ),
        ).toBe('InvalidParameterValue');
        expect(
          await errorOf(
            'rds',
            'describe-db-instances',
            '--db-instance-identifier',
            'none',
          ),
        ).toBe('DBInstanceNotFound');
        // The CLI pages itself (MaxRecords and Marker); RDS takes pages of 20 to 100.
        expect(
          await errorOf('rds', 'describe-db-instances', '--page-size', '5'),
        ).toBe('InvalidParameterValue');
        expect(
          (
            await aws(
              'rds',
              'describe-db-instances',
              '--page-size',
              '20',
              '--filters',
              'Name=engine,Values=postgres',
            )
          ).json,
        ).toEqual({ DBInstances: [] });
        expect(
          await errorOf(
            'rds',
            'describe-db-instances',
            '--filters',
            'Name=status,Values=available',
          ),
        ).toBe('InvalidParameterValue');
      },
      CLI_TIMEOUT,
    );

    it(
      "EKS: AWS's own cluster waiter, and an Argo CD capability created, described and listed",
      async () => {
        const vpc = (
          await aws('ec2', 'create-vpc', '--cidr-block', '10.60.0.0/16')
        ).json.Vpc.VpcId;
        const subnets: string[] = [];
        for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries())
          subnets.push(
            (
              await aws(
                'ec2',
                'create-subnet',
                '--vpc-id',
                vpc,
                '--cidr-block',
                `10.60.${i}.0/24`,
                '--availability-zone',
                az,
              )
            ).json.Subnet.SubnetId,
          );
        await aws(
          'eks',
          'create-cluster',
          '--name',
          'cli',
          '--role-arn',
          'arn:aws:iam::123456789012:role/eks',
          '--resources-vpc-config',
          `subnetIds=${subnets.join(',')}`,
          '--access-config',
          'authenticationMode=API_AND_CONFIG_MAP',
        );
        expect(
          (await aws('eks', 'wait', 'cluster-active', '--name', 'cli')).code,
        ).toBe(0);
        const create = [
          'eks',
          'create-capability',
          '--cluster-name',
          'cli',
          '--capability-name',
          'gitops',
          '--type',
          'ARGOCD',
          '--role-arn',
          'arn:aws:iam::123456789012:role/argocd',
          '--delete-propagation-policy',
          'RETAIN',
        ];
        expect(await errorOf(...create)).toBe('InvalidParameterException');
        const created = await aws(
          ...create,
          '--configuration',
          JSON.stringify({
            argoCd: {
              awsIdc: {
                idcInstanceArn:
                  'arn:aws:sso:::instance/ssoins-1234567890abcdef',
              },
            },
          }),
        );
        expect(created.json.capability).toMatchObject({
          capabilityName: 'gitops',
          status: 'CREATING',
        });
        expect(
          (
            await aws(
              'eks',
              'describe-capability',
              '--cluster-name',
              'cli',
              '--capability-name',
              'gitops',
            )
          ).json.capability.configuration.argoCd.namespace,
        ).toBe('argocd');
        expect(
          (await aws('eks', 'list-capabilities', '--cluster-name', 'cli')).json
            .capabilities,
        ).toEqual([
          expect.objectContaining({ capabilityName: 'gitops', type: 'ARGOCD' }),
        ]);
        expect(
          await errorOf(
            'eks',
            'describe-capability',
            '--cluster-name',
            'cli',
            '--capability-name',
            'none',
          ),
        ).toBe('ResourceNotFoundException');
      },
      CLI_TIMEOUT,
    );
  },
);
