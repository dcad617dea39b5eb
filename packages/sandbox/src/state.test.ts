import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateVpcCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { Octokit } from '@octokit/rest';
import { startSandbox } from './startSandbox';
import { aws, FAST, inspect, signedFetch } from './__testUtils__/sandbox';

describe('state', () => {
  it('survives a restart from the same data folder, git repositories included', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-state-'));
    const first = await startSandbox({ dataDir, durations: FAST });
    const { Vpc } = await new EC2Client(aws(first)).send(
      new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }),
    );
    await new Octokit({
      baseUrl: first.githubUrl,
      auth: 't',
    }).rest.repos.createInOrg({ org: 'acme', name: 'kept', auto_init: true });
    await first.stop();

    const second = await startSandbox({ dataDir, durations: FAST });
    try {
      const { Vpcs } = await new EC2Client(aws(second)).send(
        new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }),
      );
      expect(Vpcs?.[0]?.CidrBlock).toBe('10.40.0.0/16');
      const readme = await new Octokit({
        baseUrl: second.githubUrl,
        auth: 't',
      }).rest.repos.getContent({
        owner: 'acme',
        repo: 'kept',
        path: 'README.md',
      });
      expect(
        Buffer.from((readme.data as any).content, 'base64').toString(),
      ).toBe('# kept\n');
      expect((await inspect(second)).counts).toEqual({
        'ec2/vpc': 1,
        // The VPC's main route table and default security group.
        'ec2/route-table': 1,
        'ec2/security-group': 1,
        'github/repo': 1,
      });
    } finally {
      await second.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("answers malformed requests with the service's error and keeps serving", async () => {
    const sandbox = await startSandbox();
    try {
      const badJson = await signedFetch(sandbox, 'secretsmanager', {
        headers: { 'x-amz-target': 'secretsmanager.CreateSecret' },
        body: '{oops',
      });
      expect(badJson.status).toBe(400);
      expect(await badJson.json()).toMatchObject({
        __type: 'SerializationException',
      });
      const unknown = await signedFetch(sandbox, 'ec2', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=LaunchRockets',
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
      expect((await fetch(`${sandbox.url}/__sandbox/health`)).status).toBe(200);
    } finally {
      await sandbox.stop();
    }
  });
});
