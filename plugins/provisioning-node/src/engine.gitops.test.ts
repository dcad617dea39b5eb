import * as k8s from '@kubernetes/client-node';
import { Octokit } from '@octokit/rest';
import {
  DescribeCapabilityCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListAssociatedAccessPoliciesCommand,
  ListClustersCommand,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseAllDocuments } from 'yaml';
import {
  DEFAULT_ARGOCD_TOKEN,
  githubTokenOf,
  PLATFORM_HUB,
  Sandbox,
  STARTER_IMAGE,
  startSandbox,
} from '@konductor/sandbox';
import type { ProvisioningEvent } from '@konductor/plugin-provisioning-common';
import { destroyStack } from './destroy';
import { rollbackApp } from './rollback';
import { StackProvisioningError } from './stackRun';
import { type GitOpsDelivery, GithubGitOpsRepository } from './delivery/gitops';
import { ArgoCdClient } from './delivery/ArgoCdClient';
import type { AwsProvider } from './aws/AwsProvider';
import {
  credentials,
  durations,
  engineHelpers,
  eventually,
  kubeClient,
  sandboxProvider,
  stack,
} from './__testUtils__/engineSandbox';

/** The platform's Argo CD: the hub the sandbox seeds, as the platform's infrastructure code makes it. */
const HUB = {
  accountId: PLATFORM_HUB.accountId,
  region: PLATFORM_HUB.region,
  clusterName: PLATFORM_HUB.clusterName,
  capabilityName: PLATFORM_HUB.capabilityName,
  token: DEFAULT_ARGOCD_TOKEN,
};

/** The platform's role for apps' secrets, in each stack's account (see config.d.ts). */
const SECRETS_ROLE = 'konductor-app-secrets';

/** The hub's Argo CD server URL, asked of EKS as the portal asks it. */
async function hubServerUrl(sandbox: Sandbox): Promise<string> {
  const eks = new EKSClient({
    endpoint: sandbox.url,
    region: HUB.region,
    credentials: await credentials(HUB.accountId),
  });
  const { capability } = await eks.send(
    new DescribeCapabilityCommand({
      clusterName: HUB.clusterName,
      capabilityName: HUB.capabilityName,
    }),
  );
  return capability!.configuration!.argoCd!.serverUrl!;
}

// A stack with its network, cluster and app, its changes, and a rollback or destroy, in each
// test: about 10 s each alone, several times that on a machine busy with other suites.
jest.setTimeout(90_000);

describe('apps delivered through git and Argo CD, to clusters whose endpoint is private', () => {
  let sandbox: Sandbox;
  let provider: AwsProvider;
  let argo: ArgoCdClient;
  let gitops: () => GitOpsDelivery;
  const gh = () =>
    new Octokit({ baseUrl: sandbox.githubUrl, auth: 'sandbox-token' });
  const deployed = async (stackId: string) => {
    const file = await gh().rest.repos.getContent({
      owner: 'acme',
      repo: 'deployments',
      path: `stacks/${stackId}/app.yaml`,
    });
    return parseAllDocuments(
      Buffer.from(
        (file.data as { content: string }).content,
        'base64',
      ).toString('utf8'),
    ).map(d => d.toJSON());
  };

  beforeEach(async () => {
    // Every cluster endpoint is reachable only as EKS configures it: the portal is outside.
    sandbox = await startSandbox({
      durations,
      seed: 7,
      privateEndpoints: true,
      platformHub: true,
    });
    argo = new ArgoCdClient(await hubServerUrl(sandbox), DEFAULT_ARGOCD_TOKEN);
    const repo = await gh().rest.repos.get({
      owner: PLATFORM_HUB.repository.owner,
      repo: PLATFORM_HUB.repository.name,
    });
    gitops = () => ({
      repository: new GithubGitOpsRepository(async () => gh(), {
        owner: 'acme',
        name: 'deployments',
        branch: 'main',
        cloneUrl: repo.data.clone_url,
      }),
      argoCd: HUB,
      secretsRoleName: SECRETS_ROLE,
    });
    provider = sandboxProvider(sandbox, [], {
      // The progress deadline of a release whose image does not pull: long enough that a
      // loaded machine's poll still sees it progressing before Argo CD calls it Degraded.
      imagePullGraceMs: 4000,
      gitops: gitops(),
    });
  });
  afterEach(() => sandbox.stop());
  const { run } = engineHelpers(
    () => sandbox,
    () => provider,
  );

  it('commits the rendered chart, has Argo CD sync it into the private cluster, and follows it until healthy', async () => {
    const spec = stack('web', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: { publicEndpoint: false },
        app: { image: STARTER_IMAGE, env: { MODE: 'live' } },
      },
    });
    const events: ProvisioningEvent[] = [];
    const outputs = await run(spec, events);
    expect(outputs.app).toEqual({
      namespace: 'web-dev',
      url: 'https://web-dev.apps.konductor.local',
      revision: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    // The desired state is in git, rendered: Deployment, Service, Ingress.
    const docs = await deployed('web-dev');
    expect(docs.map(d => d.kind)).toEqual(['Deployment', 'Service', 'Ingress']);
    expect(docs[0].spec.template.spec.containers[0]).toMatchObject({
      image: STARTER_IMAGE,
      env: [{ name: 'MODE', value: 'live' }],
    });
    // Argo CD synced that commit and reports the app healthy.
    const app = await argo.application('web-dev');
    expect(app!.status).toMatchObject({
      sync: { status: 'Synced' },
      health: { status: 'Healthy' },
    });
    expect(app!.metadata.annotations).toMatchObject({
      'konductor.dev/stack': 'web-dev',
      'konductor.dev/owner': 'group:default/team-a',
    });
    // Argo CD's role (of the platform's account) was let into the stack's cluster (of the
    // stack's account) through EKS, not through its API.
    const eks = new EKSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    expect(
      (
        await eks.send(
          new ListAssociatedAccessPoliciesCommand({
            clusterName: 'web-dev',
            principalArn: PLATFORM_HUB.roleArn,
          }),
        )
      ).associatedAccessPolicies,
    ).toEqual([
      expect.objectContaining({
        policyArn:
          'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
        accessScope: { type: 'cluster', namespaces: [] },
      }),
    ]);
    // The portal itself never reached the cluster: its endpoint answers nobody outside the VPC.
    await expect(
      (
        await kubeClient(sandbox, outputs.cluster!, k8s.CoreV1Api)
      ).listNamespace(),
    ).rejects.toMatchObject({ message: 'fetch failed' });

    // A new image is a commit: the same stack run again with it, synced by Argo CD; running it
    // again unchanged commits nothing.
    const before = (await argo.application('web-dev'))!.status!.history!;
    const next = stack('web', {
      resources: {
        ...spec.resources,
        app: {
          image: 'ghcr.io/acme/platform-starter:1',
          replicas: 3,
          env: { MODE: 'live' },
        },
      },
    });
    await run(next, [], { runId: 'task-2_web-dev' });
    const after = (await argo.application('web-dev'))!;
    expect(after.status?.history?.map(h => h.revision)).toEqual([
      ...before.map(h => h.revision),
      after.status!.sync!.revision,
    ]);
    expect((await deployed('web-dev'))[0].spec.replicas).toBe(3);
    await run(next, [], { runId: 'task-3_web-dev' });
    expect((await argo.application('web-dev'))!.status?.history).toHaveLength(
      before.length + 1,
    );

    // A rollback from the portal returns to the first revision: what git held then is committed
    // again as the newest revision, which Argo CD syncs; a revision Argo CD never delivered is
    // refused with the ones it did.
    const first = before.at(-1)!.revision;
    const unknown = await rollbackApp({
      spec,
      provider,
      runId: 'rollback-0',
      revision: 'abcdef0',
      onEvent: () => {},
    }).catch(e => e);
    expect(unknown.message).toContain(
      `"abcdef0" is not a revision Argo CD delivered web-dev at; pick one of its history: ${after.status!.sync!.revision!.slice(
        0,
        7,
      )} (`,
    );
    const rollbackEvents: ProvisioningEvent[] = [];
    const rolled = await rollbackApp({
      spec,
      provider,
      runId: 'rollback-1',
      revision: first.slice(0, 7),
      onEvent: e => rollbackEvents.push(e),
    });
    expect(await deployed('web-dev')).toEqual(docs);
    const back = (await argo.application('web-dev'))!.status!;
    expect(rolled.revision).not.toBe(first);
    expect(back).toMatchObject({
      sync: { status: 'Synced', revision: rolled.revision },
      health: { status: 'Healthy' },
    });
    expect(back.history!.at(-1)!.revision).toBe(rolled.revision);
    expect(rollbackEvents.map(e => e.status)).toEqual(
      expect.arrayContaining(['run-started', 'ready', 'run-succeeded']),
    );

    // Destroying the stack deletes the Application (and what it deployed) and the file.
    await destroyStack({
      spec,
      provider,
      runId: 'destroy-1',
      onEvent: () => {},
    });
    expect(await argo.application('web-dev')).toBeUndefined();
    await expect(deployed('web-dev')).rejects.toMatchObject({ status: 404 });
  });

  it('proposes a change through a pull request where the branch requires reviews, and delivers it once someone else merged it', async () => {
    const spec = stack('web', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: { publicEndpoint: false },
        app: { image: STARTER_IMAGE },
      },
    });
    await run(spec, []);
    const repo = { owner: 'acme', repo: 'deployments' };
    await gh().rest.teams.addOrUpdateRepoPermissionsInOrg({
      org: 'acme',
      team_slug: 'platform-admins',
      ...repo,
      permission: 'push',
    });
    await gh().rest.repos.updateBranchProtection({
      ...repo,
      branch: 'main',
      required_status_checks: null,
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    });
    const main = async () =>
      (await gh().rest.repos.getBranch({ ...repo, branch: 'main' })).data.commit
        .sha;
    const before = await main();
    const replicas = (await deployed('web-dev'))[0].spec.replicas;

    const events: ProvisioningEvent[] = [];
    const scaled = stack('web', {
      resources: {
        ...spec.resources,
        app: { image: STARTER_IMAGE, replicas: replicas + 1 },
      },
    });
    const running = run(scaled, events, { runId: 'task-2_web-dev' });
    // The run says where its change waits, and git's branch is unchanged meanwhile.
    const waiting = await eventually(async () =>
      events.find(e =>
        /waits for review and merge into main/.test(e.detail ?? ''),
      ),
    );
    const url = /(http\S+\/pull\/(\d+))/.exec(waiting.detail!)!;
    expect(await main()).toBe(before);
    expect((await deployed('web-dev'))[0].spec.replicas).toBe(replicas);

    const carol = new Octokit({
      baseUrl: sandbox.githubUrl,
      auth: await githubTokenOf(sandbox.url, 'carol'),
    });
    const pullNumber = Number(url[2]);
    const pr = (
      await carol.rest.pulls.get({ ...repo, pull_number: pullNumber })
    ).data;
    expect(pr).toMatchObject({
      state: 'open',
      head: { ref: 'konductor/web-dev/task-2_web-dev' },
      base: { ref: 'main' },
      html_url: url[1],
    });
    await carol.rest.pulls.createReview({
      ...repo,
      pull_number: pullNumber,
      event: 'APPROVE',
    });
    await carol.rest.pulls.merge({ ...repo, pull_number: pullNumber });

    const outputs = await running;
    expect(outputs.app!.revision).toBe(await main());
    expect((await deployed('web-dev'))[0].spec.replicas).toBe(replicas + 1);
    expect((await argo.application('web-dev'))!.status).toMatchObject({
      sync: { status: 'Synced', revision: outputs.app!.revision },
      health: { status: 'Healthy' },
    });

    // A pull request closed without merging fails its run, and git's branch stays as it was.
    const declinedEvents: ProvisioningEvent[] = [];
    const declined = run(
      stack('web', {
        resources: {
          ...spec.resources,
          app: { image: STARTER_IMAGE, replicas: replicas + 2 },
        },
      }),
      declinedEvents,
      { runId: 'task-3_web-dev' },
    ).catch(e => e);
    const proposal = await eventually(async () =>
      declinedEvents.find(e => /\/pull\/\d+$/.test(e.detail ?? '')),
    );
    const merged = await main();
    await carol.rest.pulls.update({
      ...repo,
      pull_number: Number(/\/pull\/(\d+)$/.exec(proposal.detail!)![1]),
      state: 'closed',
    });
    expect((await declined).message).toMatch(
      /was closed without being merged: main is unchanged and the app was not delivered/,
    );
    expect(await main()).toBe(merged);
    // The app the run did not create is left running as it was.
    expect((await argo.application('web-dev'))!.status).toMatchObject({
      sync: { status: 'Synced', revision: merged },
      health: { status: 'Healthy' },
    });
  });

  it("leaves another owner's application, and its file, alone", async () => {
    // An Application of the same name, another team's (as a stack of theirs would have it).
    await argo.registerCluster(
      `arn:aws:eks:us-east-1:${HUB.accountId}:cluster/${HUB.clusterName}`,
      'hub',
    );
    await argo.upsertApplication({
      metadata: {
        name: 'taken-dev',
        annotations: {
          'konductor.dev/stack': 'taken-dev',
          'konductor.dev/owner': 'group:default/team-b',
        },
      },
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://github.com/acme/deployments.git',
          path: 'x',
        },
        destination: {
          server: `arn:aws:eks:us-east-1:${HUB.accountId}:cluster/${HUB.clusterName}`,
          namespace: 'taken-dev',
        },
      },
    });
    const spec = stack('taken', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: { image: STARTER_IMAGE },
      },
    });
    const error = await run(spec, []).catch(e => e);
    expect(error.message).toMatch(
      /Argo CD application taken-dev .*group:default\/team-b/,
    );
    await expect(deployed('taken-dev')).rejects.toMatchObject({ status: 404 });
    expect(
      (await argo.application('taken-dev'))!.metadata.annotations,
    ).toMatchObject({ 'konductor.dev/owner': 'group:default/team-b' });
  });

  it("fails a release whose image does not pull with Argo CD's Degraded status", async () => {
    const ghost = stack('ghost', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        cluster: {},
        app: { image: 'ghcr.io/acme/ghost:0.1.0' },
      },
    });
    const events: ProvisioningEvent[] = [];
    const error = await run(ghost, events).catch(e => e);
    expect(error).toBeInstanceOf(StackProvisioningError);
    expect(error.message).toContain(
      'resources.app: Argo CD reports the app Degraded at',
    );
    expect(error.message).toContain(
      'Deployment ghost: Deployment "ghost" exceeded its progress deadline',
    );
    // ...and why its pods do not run, from Argo CD's resource tree.
    expect(error.message).toMatch(
      /exceeded its progress deadline; pod ghost-\w+-\w+ \(and 1 more\): Degraded: .*ghcr\.io\/acme\/ghost:0\.1\.0/,
    );
    // While it waited, the run showed what Argo CD reported.
    expect(
      events.some(e =>
        e.message?.includes(
          'Argo CD: Synced, Progressing: Waiting for rollout to finish: 0 of 2 updated replicas are available...',
        ),
      ),
    ).toBe(true);
    // Rolled back: the Application and its file are gone.
    expect(await argo.application('ghost-dev')).toBeUndefined();
    await expect(deployed('ghost-dev')).rejects.toMatchObject({ status: 404 });

    // A change to that image, of an app an earlier run delivered, fails the same way, and its
    // rollback leaves the Application this run did not create: the earlier release keeps
    // serving while Argo CD retries, and git holds the change for a rollback to a revision.
    const healthy = stack('ghost', {
      resources: { ...ghost.resources, app: { image: STARTER_IMAGE } },
    });
    await run(healthy, [], { runId: 'task-2_ghost-dev' });
    const changeEvents: ProvisioningEvent[] = [];
    const changed = await run(ghost, changeEvents, {
      runId: 'task-3_ghost-dev',
    }).catch(e => e);
    expect(changed.message).toContain('Argo CD reports the app Degraded at');
    expect(
      changeEvents.filter(e => e.status === 'retained').map(e => e.message),
    ).toContain(
      'app: kept Argo CD application ghost-dev: this run did not create it (it was adopted)',
    );
    expect(
      (await argo.application('ghost-dev'))!.metadata.annotations,
    ).toMatchObject({ 'konductor.dev/run': 'task-2_ghost-dev' });
    expect(
      (await deployed('ghost-dev'))[0].spec.template.spec.containers[0].image,
    ).toBe('ghcr.io/acme/ghost:0.1.0');
  });

  it("brings the app its secrets inside the cluster: git names where they live, the CSI driver reads them as the app's Pod Identity", async () => {
    const spec = stack('vault', {
      resources: {
        network: { cidr: '10.0.0.0/16', natGateways: 1 },
        database: {},
        secrets: { generated: ['SESSION_KEY'] },
        cluster: {},
        app: {
          image: STARTER_IMAGE,
          env: { DB_HOST: '${database.endpoint}' },
          secretEnv: {
            DB_USER: 'database.username',
            DB_PASSWORD: 'database.password',
            SESSION_KEY: 'SESSION_KEY',
          },
        },
      },
    });
    const outputs = await run(spec, []);
    const docs = await deployed('vault-dev');
    expect(docs.map(d => d.kind)).toEqual([
      'ServiceAccount',
      'SecretProviderClass',
      'Deployment',
      'Service',
      'Ingress',
    ]);
    const sm = new SecretsManagerClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    const read = async (id: string) =>
      (await sm.send(new GetSecretValueCommand({ SecretId: id })))
        .SecretString!;
    const master = JSON.parse(
      await read(String(outputs.database!.masterUserSecretArn)),
    );
    const sessionKey = await read('konductor/vault-dev/SESSION_KEY');
    // Git holds where the values live, never a value.
    const file = JSON.stringify(docs);
    expect(file).toContain(String(outputs.database!.masterUserSecretArn));
    expect(file).not.toContain(master.password);
    expect(file).not.toContain(sessionKey);
    // Inside the cluster (seen from its VPC), the driver synced them into the app's Secret.
    const core = await kubeClient(
      sandbox,
      outputs.cluster!,
      k8s.CoreV1Api,
      true,
    );
    const secret = await core.readNamespacedSecret({
      name: 'vault-secrets',
      namespace: 'vault-dev',
    });
    const decoded = Object.fromEntries(
      Object.entries(secret.data!).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]),
    );
    expect(decoded).toEqual({
      DB_USER: master.username,
      DB_PASSWORD: master.password,
      SESSION_KEY: sessionKey,
    });
    const eks = new EKSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    // The driver was installed through EKS with Secret sync and rotation on.
    const { addon } = await eks.send(
      new DescribeAddonCommand({
        clusterName: 'vault-dev',
        addonName: 'aws-secrets-store-csi-driver-provider',
      }),
    );
    expect(JSON.parse(addon!.configurationValues!)).toEqual({
      'secrets-store-csi-driver': {
        syncSecret: { enabled: true },
        enableSecretRotation: true,
      },
    });
    // The app's service account has the platform's role through EKS Pod Identity.
    const [association] =
      (
        await eks.send(
          new ListPodIdentityAssociationsCommand({
            clusterName: 'vault-dev',
            namespace: 'vault-dev',
            serviceAccount: 'vault',
          }),
        )
      ).associations ?? [];
    expect(
      (
        await eks.send(
          new DescribePodIdentityAssociationCommand({
            clusterName: 'vault-dev',
            associationId: association.associationId,
          }),
        )
      ).association?.roleArn,
    ).toBe(`arn:aws:iam::123456789012:role/${SECRETS_ROLE}`);
  });

  it('refuses, before anything is created, secrets it cannot bring: no role for them, or a value the portal composes', async () => {
    const app = (secretEnv: Record<string, string>) =>
      stack('keys', {
        resources: {
          network: { cidr: '10.0.0.0/16', natGateways: 1 },
          database: {},
          cluster: {},
          app: { image: STARTER_IMAGE, secretEnv },
        },
      });
    const composed = await run(app({ DATABASE_URL: 'database.url' }), []).catch(
      e => e,
    );
    expect(composed.message).toContain(
      'resources.app.secretEnv.DATABASE_URL: "database.url" is composed by the portal',
    );
    provider = sandboxProvider(sandbox, [], {
      gitops: { ...gitops(), secretsRoleName: undefined },
    });
    const noRole = await run(
      app({ DB_PASSWORD: 'database.password' }),
      [],
    ).catch(e => e);
    expect(noRole.message).toContain(
      'no IAM role for apps to read their secrets with (konductor.apps.gitops.secretsRoleName)',
    );
    // Nothing was created: no network, no cluster, nothing in git.
    const eks = new EKSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: await credentials('123456789012'),
    });
    expect(
      (await eks.send(new ListClustersCommand({}))).clusters,
    ).not.toContain('keys-dev');
    await expect(deployed('keys-dev')).rejects.toMatchObject({ status: 404 });
  });
});
