import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { awsCliEnv, hasClient, runClient } from '../__testUtils__/clients';
import { FAST, useSandbox } from '../__testUtils__/sandbox';
import { STARTER_IMAGE } from '../kubernetes/images';
import { sandboxTls } from '../kubernetes/tls';

const TIMEOUT = 180_000;

// kubectl against an EKS cluster of the sandbox, configured the way EKS's documentation says:
// `aws eks update-kubeconfig`, so kubectl trusts the cluster's CA and authenticates with the
// token `aws eks get-token` presigns.
(hasClient('kubectl', ['version', '--client']) &&
  hasClient('aws', ['--version'])
  ? describe
  : describe.skip)('kubectl against an EKS cluster of the sandbox', () => {
  const sandbox = useSandbox({ durations: { ...FAST, deployment: 500 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konductor-kubectl-'));
  const kubeconfig = path.join(dir, 'config');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const aws = (...args: string[]) =>
    runClient(
      'aws',
      ['--endpoint-url', sandbox().url, ...args, '--output', 'json'],
      awsCliEnv(),
    );
  // kubectl runs `aws eks get-token` itself, with no endpoint: the token is for real STS.
  const kubectl = (args: string[], input?: string, config = kubeconfig) =>
    runClient(
      'kubectl',
      ['--kubeconfig', config, '--cache-dir', path.join(dir, 'cache'), ...args],
      awsCliEnv(),
      input,
    );

  beforeAll(async () => {
    const vpc = JSON.parse(
      (await aws('ec2', 'create-vpc', '--cidr-block', '10.60.0.0/16')).stdout,
    ).Vpc.VpcId;
    const subnets = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries())
      subnets.push(
        JSON.parse(
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
          ).stdout,
        ).Subnet.SubnetId,
      );
    await aws(
      'eks',
      'create-cluster',
      '--name',
      'conf',
      '--role-arn',
      'arn:aws:iam::123456789012:role/eks',
      '--resources-vpc-config',
      `subnetIds=${subnets.join(',')}`,
    );
    const active = await aws('eks', 'wait', 'cluster-active', '--name', 'conf');
    if (active.code !== 0)
      throw new Error(`cluster not ACTIVE: ${active.stderr}`);
    const updated = await aws(
      'eks',
      'update-kubeconfig',
      '--name',
      'conf',
      '--kubeconfig',
      kubeconfig,
    );
    if (updated.code !== 0)
      throw new Error(`update-kubeconfig failed: ${updated.stderr}`);
  }, TIMEOUT);

  it(
    'serves discovery, apply, get, rollout status and delete over TLS with an EKS token',
    async () => {
      const version = await kubectl(['version', '-o', 'json']);
      expect(JSON.parse(version.stdout).serverVersion.gitVersion).toMatch(
        /^v1\.\d+\./,
      );
      const namespace = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop' },
      });
      expect((await kubectl(['apply', '-f', '-'], namespace)).stdout).toBe(
        'namespace/shop created\n',
      );
      const deployment = (replicas: number) =>
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
          spec: {
            replicas,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: STARTER_IMAGE }] },
            },
          },
        });
      expect((await kubectl(['apply', '-f', '-'], deployment(1))).stdout).toBe(
        'deployment.apps/web created\n',
      );
      // A second apply patches what changed (client-side apply, strategic merge).
      expect((await kubectl(['apply', '-f', '-'], deployment(2))).stdout).toBe(
        'deployment.apps/web configured\n',
      );
      const rollout = await kubectl([
        'rollout',
        'status',
        'deployment/web',
        '-n',
        'shop',
        '--timeout=60s',
      ]);
      expect(rollout.stdout).toContain(
        'deployment "web" successfully rolled out',
      );
      // Short names and label selectors, as discovery announces them.
      const read = await kubectl([
        'get',
        'deploy/web',
        '-n',
        'shop',
        '-o',
        'json',
      ]);
      expect(JSON.parse(read.stdout)).toMatchObject({
        spec: { replicas: 2 },
        status: { readyReplicas: 2 },
      });
      const pods = await kubectl([
        'get',
        'po',
        '-n',
        'shop',
        '-l',
        'app=web',
        '-o',
        'json',
      ]);
      expect(JSON.parse(pods.stdout).items).toHaveLength(2);

      // `kubectl set env` sends a strategic merge patch of one container by name: its image and
      // ports stay.
      await kubectl([
        'set',
        'env',
        'deployment/web',
        '-n',
        'shop',
        'MODE=blue',
      ]);
      const [web] = JSON.parse(
        (await kubectl(['get', 'deploy/web', '-n', 'shop', '-o', 'json']))
          .stdout,
      ).spec.template.spec.containers;
      expect(web).toMatchObject({
        name: 'web',
        image: STARTER_IMAGE,
        env: [{ name: 'MODE', value: 'blue' }],
      });

      // `kubectl wait` watches the one Deployment by field selector until it is Available again.
      const waited = await kubectl([
        'wait',
        '--for=condition=Available',
        'deployment/web',
        '-n',
        'shop',
        '--timeout=60s',
      ]);
      expect(waited.stdout).toBe('deployment.apps/web condition met\n');

      // get prints the server's columns (a Table), as against a real API server.
      const table = (out: string) =>
        out
          .trim()
          .split('\n')
          .map(line => line.trim().split(/\s{2,}/));
      const deployments = table(
        (await kubectl(['get', 'deployments', '-n', 'shop'])).stdout,
      );
      expect(deployments[0]).toEqual([
        'NAME',
        'READY',
        'UP-TO-DATE',
        'AVAILABLE',
        'AGE',
      ]);
      expect(deployments[1].slice(0, 4)).toEqual(['web', '2/2', '2', '2']);
      expect(deployments[1][4]).toMatch(/^\d+s$/);
      const webPods = table(
        (await kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=web'])).stdout,
      );
      expect(webPods[0]).toEqual([
        'NAME',
        'READY',
        'STATUS',
        'RESTARTS',
        'AGE',
      ]);
      expect(webPods.slice(1).map(p => p.slice(1, 4))).toEqual([
        ['1/1', 'Running', '0'],
        ['1/1', 'Running', '0'],
      ]);
      expect(
        table((await kubectl(['get', 'namespace', 'shop'])).stdout)[1].slice(
          0,
          2,
        ),
      ).toEqual(['shop', 'Active']);

      // describe: the pods and the kubelet's events about them.
      const described = await kubectl([
        'describe',
        'pods',
        '-n',
        'shop',
        '-l',
        'app=web',
      ]);
      expect(described.stderr).toBe('');
      expect(described.stdout).toMatch(/Events:[\s\S]*Started container web/);

      // A server-side dry run answers as a write would and leaves the cluster as it was.
      const canary = deployment(1).replace(/"web"/g, '"canary"');
      expect(
        (await kubectl(['apply', '--dry-run=server', '-f', '-'], canary))
          .stdout,
      ).toBe('deployment.apps/canary created (server dry run)\n');
      expect(
        (await kubectl(['get', 'deploy/canary', '-n', 'shop'])).stderr,
      ).toContain('deployments.apps "canary" not found');
      expect(
        (
          await kubectl([
            'delete',
            'deploy/web',
            '-n',
            'shop',
            '--dry-run=server',
          ])
        ).stdout,
      ).toBe('deployment.apps "web" deleted (server dry run)\n');
      const still = await kubectl([
        'get',
        'deploy/web',
        '-n',
        'shop',
        '-o',
        'name',
      ]);
      expect(still.stderr).toBe('');
      expect(still.stdout).toBe('deployment.apps/web\n');

      // A field the kind does not have: kubectl validates strictly by default, so the server
      // refuses it in its own words; with --validate=warn it drops the field and says so.
      const typo = deployment(1)
        .replace(/"web"/g, '"typo"')
        .replace('"image":', '"imagePullPolicyy":"Always","image":');
      const strict = await kubectl(['apply', '-f', '-'], typo);
      expect(strict.stderr).toContain(
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
      );
      const warned = await kubectl(
        ['create', '--validate=warn', '-f', '-'],
        typo,
      );
      expect(warned.stderr).toContain(
        'Warning: unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
      );
      // ... and what is stored has no such field.
      const stored = JSON.parse(
        (await kubectl(['get', 'deploy/typo', '-n', 'shop', '-o', 'json']))
          .stdout,
      );
      expect(stored.spec.template.spec.containers[0]).not.toHaveProperty(
        'imagePullPolicyy',
      );
      expect(stored.spec.template.spec.containers[0].image).toBe(STARTER_IMAGE);

      expect(
        (await kubectl(['delete', 'namespace', 'shop', '--wait=false'])).stdout,
      ).toBe('namespace "shop" deleted\n');
    },
    TIMEOUT,
  );

  it(
    'refuses a server whose CA it was not given, and a client without an EKS token',
    async () => {
      const config = fs.readFileSync(kubeconfig, 'utf8');
      // Another CA, made as the sandbox makes its own.
      const other = path.join(dir, 'other-ca');
      fs.writeFileSync(
        other,
        config.replace(
          /certificate-authority-data: \S+/,
          `certificate-authority-data: ${Buffer.from(
            (await sandboxTls()).caPem,
          ).toString('base64')}`,
        ),
      );
      expect((await kubectl(['get', 'ns'], undefined, other)).stderr).toContain(
        'certificate signed by unknown authority',
      );
      const anonymous = path.join(dir, 'anonymous');
      fs.writeFileSync(
        anonymous,
        config.replace(/ {4}exec:[\s\S]*$/, '    token: not-an-eks-token\n'),
      );
      expect(
        (await kubectl(['get', 'ns'], undefined, anonymous)).stderr,
      ).toContain('Unauthorized');
    },
    TIMEOUT,
  );
});
