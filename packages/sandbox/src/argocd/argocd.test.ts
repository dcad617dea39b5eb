import { Octokit } from '@octokit/rest';
import {
  AssociateAccessPolicyCommand,
  CreateCapabilityCommand,
  CreateClusterCommand,
  DescribeCapabilityCommand,
  DescribeClusterCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  aws,
  clusterSubnets,
  eksKubeConfig,
  eventually,
  useSandbox,
} from '../__testUtils__/sandbox';
import { DEFAULT_ARGOCD_TOKEN } from '../startSandbox';
import { STARTER_IMAGE } from '../kubernetes/images';

const deployment = (image: string, extra: object = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', labels: { app: 'shop' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'shop' } },
    template: {
      metadata: { labels: { app: 'shop' } },
      spec: { containers: [{ name: 'shop', image }] },
    },
    ...extra,
  },
});
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'shop' },
  spec: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
};

// Each test follows several reconciliations, each a few calls to git and to the cluster's API.
jest.setTimeout(30_000);

describe('Argo CD of an EKS capability', () => {
  // The cluster's endpoint is private, and enforced: the capability reaches it from inside.
  const sandbox = useSandbox({ privateEndpoints: true });
  const gh = () =>
    new Octokit({ baseUrl: sandbox().githubUrl, auth: 'sandbox-token' });
  let server: string;
  let clusterArn: string;
  let kc: k8s.KubeConfig;
  let outside: k8s.KubeConfig;

  /** A call of the Argo CD API, with the platform's account token unless told otherwise. */
  const argo = async (
    method: string,
    path: string,
    body?: object,
    token: string | null = DEFAULT_ARGOCD_TOKEN,
  ) => {
    const res = await fetch(`${server}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  /** Commits `docs` as the one file of `apps/shop` and answers the commit. */
  const commit = async (docs: object[], message: string) => {
    const path = 'apps/shop/app.yaml';
    const existing = await gh()
      .rest.repos.getContent({ owner: 'acme', repo: 'deploy', path })
      .then(r => (r.data as { sha: string }).sha)
      .catch(() => undefined);
    const { data } = await gh().rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'deploy',
      path,
      message,
      content: Buffer.from(docs.map(d => stringify(d)).join('---\n')).toString(
        'base64',
      ),
      sha: existing,
    });
    return data.commit.sha!;
  };
  const application = {
    metadata: { name: 'shop' },
    spec: {
      project: 'default',
      source: {
        repoURL: 'https://github.com/acme/deploy.git',
        path: 'apps/shop',
        targetRevision: 'main',
      },
      destination: { server: '', namespace: 'shop-dev' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        managedNamespaceMetadata: {
          annotations: { 'konductor.dev/stack': 'shop-dev' },
        },
      },
    },
  };
  const app = () => argo('GET', '/api/v1/applications/shop');
  const until = (probe: (a: any) => boolean) =>
    eventually(async () => {
      const a = (await app()).json;
      return probe(a) ? a : undefined;
    });

  beforeAll(async () => {
    const subnetIds = await clusterSubnets(sandbox(), '10.70');
    const eks = new EKSClient(aws(sandbox()));
    await eks.send(
      new CreateClusterCommand({
        name: 'apps',
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: {
          subnetIds,
          endpointPublicAccess: false,
          endpointPrivateAccess: true,
        },
        accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
      }),
    );
    const cluster = await eventually(async () => {
      const c = (await eks.send(new DescribeClusterCommand({ name: 'apps' })))
        .cluster!;
      return c.status === 'ACTIVE' ? c : undefined;
    });
    clusterArn = cluster.arn!;
    outside = await eksKubeConfig(cluster);
    // The test looks at the cluster as a bastion inside its VPC would.
    kc = await eksKubeConfig({
      ...cluster,
      endpoint: cluster.endpoint!.replace('/k8s/', '/k8s-vpc/'),
    });
    await eks.send(
      new CreateCapabilityCommand({
        clusterName: 'apps',
        capabilityName: 'gitops',
        type: 'ARGOCD',
        roleArn: 'arn:aws:iam::123456789012:role/argocd',
        deletePropagationPolicy: 'RETAIN',
        configuration: {
          argoCd: {
            awsIdc: {
              idcInstanceArn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef',
            },
          },
        },
      }),
    );
    server = await eventually(
      async () =>
        (
          await eks.send(
            new DescribeCapabilityCommand({
              clusterName: 'apps',
              capabilityName: 'gitops',
            }),
          )
        ).capability?.configuration?.argoCd?.serverUrl,
    );
    await gh().rest.repos.createInOrg({
      org: 'acme',
      name: 'deploy',
      auto_init: true,
    });
    application.spec.destination.server = clusterArn;
  });

  it('is the way in to a private cluster, whose endpoint answers nobody outside its VPC', async () => {
    await expect(
      outside.makeApiClient(k8s.CoreV1Api).listNamespace(),
    ).rejects.toMatchObject({ message: 'fetch failed' });
  });

  it('asks for the account token', async () => {
    expect(await argo('GET', '/api/v1/applications', undefined, null)).toEqual({
      status: 401,
      json: {
        error: 'no session information',
        code: 16,
        message: 'no session information',
      },
    });
    expect(
      (await argo('GET', '/api/v1/applications', undefined, 'x')).status,
    ).toBe(401);
    expect((await argo('GET', '/api/version')).json.Version).toMatch(/^v3\./);
  });

  it('syncs an application from git to its cluster, reports its health, and follows new commits', async () => {
    const first = await commit(
      [deployment(STARTER_IMAGE), service],
      'shop: first release',
    );
    // Not before its cluster is registered (by its EKS ARN, as the capability wants).
    expect(await argo('POST', '/api/v1/applications', application)).toEqual({
      status: 400,
      json: expect.objectContaining({
        code: 3,
        message: `application destination spec for shop is invalid: unable to find destination server: there are no clusters with this URL: ${clusterArn}`,
      }),
    });
    expect(
      (
        await argo('POST', '/api/v1/clusters', {
          server: 'https://kubernetes.default.svc',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await argo('POST', '/api/v1/clusters', {
          server: clusterArn,
          name: 'apps',
        })
      ).status,
    ).toBe(200);
    // Argo CD reaches the cluster as the capability's role: its access entry (which EKS made)
    // has no policy yet, so it may not write there.
    const locked = await argo('POST', '/api/v1/applications', application);
    expect(locked.json.status).toMatchObject({
      sync: { status: 'Unknown' },
      conditions: [
        {
          type: 'ComparisonError',
          message: `Failed to load live state: failed to get cluster info for "${clusterArn}": namespaces is forbidden: User "arn:aws:sts::123456789012:assumed-role/argocd/{{SessionName}}" cannot create resource "namespaces" in API group "" at the cluster scope`,
        },
      ],
    });
    await new EKSClient(aws(sandbox())).send(
      new AssociateAccessPolicyCommand({
        clusterName: 'apps',
        principalArn: 'arn:aws:iam::123456789012:role/argocd',
        policyArn:
          'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
        accessScope: { type: 'cluster' },
      }),
    );

    const synced = await until(a => a.status.health?.status === 'Healthy');
    expect(synced.status.sync).toMatchObject({
      status: 'Synced',
      revision: first,
    });
    expect(synced.status.operationState).toMatchObject({
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      operation: { initiatedBy: { automated: true } },
      syncResult: {
        revision: first,
        resources: [
          expect.objectContaining({
            kind: 'Deployment',
            status: 'Synced',
            message: 'deployment.apps/shop created',
          }),
          expect.objectContaining({
            kind: 'Service',
            message: 'service/shop created',
          }),
        ],
      },
    });
    expect(synced.status.history).toEqual([
      expect.objectContaining({ id: 0, revision: first }),
    ]);
    expect(synced.status.summary.images).toEqual([STARTER_IMAGE]);
    // Its resource tree: the managed objects, and under the Deployment its ReplicaSet and pods.
    const { json: tree } = await argo(
      'GET',
      '/api/v1/applications/shop/resource-tree',
    );
    const byKind = (kind: string) =>
      (tree.nodes as any[]).filter(n => n.kind === kind);
    expect(byKind('Deployment')).toEqual([
      expect.objectContaining({ name: 'shop', health: { status: 'Healthy' } }),
    ]);
    const [rs] = byKind('ReplicaSet');
    expect(rs.parentRefs).toEqual([
      expect.objectContaining({ kind: 'Deployment', name: 'shop' }),
    ]);
    const pods = byKind('Pod');
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods)
      expect(pod).toMatchObject({
        parentRefs: [{ kind: 'ReplicaSet', name: rs.name }],
        health: { status: 'Healthy' },
        info: [
          { name: 'Status Reason', value: 'Running' },
          { name: 'Containers', value: '1/1' },
        ],
        images: [STARTER_IMAGE],
      });
    // What is in the tree is read through Argo CD (the cluster's endpoint answers nobody
    // outside): a pod's live manifest, its logs and its events; what is not in the tree is
    // refused, though the cluster holds it.
    const [pod] = pods;
    const resource = (q: Record<string, string>) =>
      argo(
        'GET',
        `/api/v1/applications/shop/resource?${new URLSearchParams(q)}`,
      );
    const podManifest = await resource({
      namespace: 'shop-dev',
      resourceName: pod.name,
      version: 'v1',
      kind: 'Pod',
      group: '',
    });
    expect(JSON.parse(podManifest.json.manifest)).toMatchObject({
      kind: 'Pod',
      metadata: { name: pod.name, uid: pod.uid },
      status: { phase: 'Running' },
    });
    expect(
      await resource({
        namespace: 'kube-system',
        resourceName: 'coredns',
        version: 'v1',
        kind: 'Deployment',
        group: 'apps',
      }),
    ).toEqual({
      status: 400,
      json: expect.objectContaining({
        code: 3,
        message:
          'Deployment apps coredns not found as part of application shop',
      }),
    });
    const stream = async (q: string) => {
      const res = await fetch(`${server}/api/v1/applications/shop/${q}`, {
        headers: { authorization: `Bearer ${DEFAULT_ARGOCD_TOKEN}` },
      });
      return (await res.text())
        .split('\n')
        .filter(Boolean)
        .map(line => JSON.parse(line).result);
    };
    const podLog = await stream(
      `pods/${pod.name}/logs?namespace=shop-dev&container=shop&follow=false`,
    );
    expect(podLog).toEqual([
      expect.objectContaining({
        podName: pod.name,
        content: expect.stringMatching(
          `^\\[sandbox\\] container shop started from ${STARTER_IMAGE}`,
        ),
        timeStampStr: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
      { last: true },
    ]);
    // Every pod under the Deployment, through its ReplicaSet.
    const all = await stream(
      'logs?namespace=shop-dev&kind=Deployment&group=apps&resourceName=shop',
    );
    expect(new Set(all.filter(e => !e.last).map(e => e.podName))).toEqual(
      new Set(pods.map(p => p.name)),
    );
    const events = (uid: string) =>
      argo(
        'GET',
        `/api/v1/applications/shop/events?${new URLSearchParams({
          resourceNamespace: 'shop-dev',
          resourceName: pod.name,
          resourceUID: uid,
        })}`,
      );
    expect((await events(pod.uid)).json.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'Pulled',
          involvedObject: expect.objectContaining({ name: pod.name }),
        }),
      ]),
    );
    expect((await events('')).json.items).toEqual([]);
    // In the cluster: its namespace with the managed metadata, its objects tracked by the app.
    const ns = await kc
      .makeApiClient(k8s.CoreV1Api)
      .readNamespace({ name: 'shop-dev' });
    expect(ns.metadata?.annotations).toMatchObject({
      'konductor.dev/stack': 'shop-dev',
    });
    const live = await kc
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'shop', namespace: 'shop-dev' });
    expect(live.metadata?.annotations).toMatchObject({
      'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop-dev/shop',
    });

    // An image nobody can pull: the commit is synced, and the rollout ends Degraded.
    const broken = await commit(
      [
        deployment('ghcr.io/acme/ghost:0.1.0', { progressDeadlineSeconds: 1 }),
        service,
      ],
      'shop: a release that cannot pull',
    );
    const degraded = await until(a => a.status.health?.status === 'Degraded');
    expect(degraded.status.sync).toMatchObject({
      status: 'Synced',
      revision: broken,
    });
    expect(
      degraded.status.resources.find((r: any) => r.kind === 'Deployment')
        .health,
    ).toEqual({
      status: 'Degraded',
      message: 'Deployment "shop" exceeded its progress deadline',
    });
    expect(degraded.status.history.map((h: any) => h.revision)).toEqual([
      first,
      broken,
    ]);

    // A rollback to an earlier revision is a manual sync: refused while auto-sync follows main,
    // as Argo CD refuses it; with auto-sync off, it brings the first release back.
    expect(
      await argo('POST', '/api/v1/applications/shop/sync', { revision: first }),
    ).toEqual({
      status: 400,
      json: expect.objectContaining({
        code: 9,
        message: `Cannot sync to ${first}: auto-sync currently set to main`,
      }),
    });
    const manual = {
      ...application,
      spec: {
        ...application.spec,
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      },
    };
    expect(
      (await argo('PUT', '/api/v1/applications/shop', manual)).status,
    ).toBe(200);
    const back = await argo('POST', '/api/v1/applications/shop/sync', {
      revision: first,
    });
    expect(back.json.status.operationState).toMatchObject({
      phase: 'Succeeded',
      syncResult: { revision: first },
      operation: { initiatedBy: { username: 'admin' } },
    });
    const rolledBack = await kc
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'shop', namespace: 'shop-dev' });
    expect(rolledBack.spec?.template.spec?.containers[0].image).toBe(
      STARTER_IMAGE,
    );
    // Auto-sync on again follows main.
    expect(
      (await argo('PUT', '/api/v1/applications/shop', application)).status,
    ).toBe(200);
  });

  it("fails a sync with the API server's message, does not retry the same revision, and prunes what git no longer has", async () => {
    const invalid = await commit(
      [
        deployment(STARTER_IMAGE),
        { ...service, spec: { ...service.spec, ports: [{ port: 0 }] } },
      ],
      'shop: a Service the API server refuses',
    );
    const failed = await until(
      a => a.status.operationState?.syncResult?.revision === invalid,
    );
    expect(failed.status.operationState).toMatchObject({
      phase: 'Failed',
      message: expect.stringContaining(
        'one or more objects failed to apply, reason: Service "shop" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      ),
    });
    expect(failed.status.sync.status).toBe('OutOfSync');
    // Read again: the controller does not try the failed revision again by itself.
    const again = (await app()).json;
    expect(again.status.operationState.startedAt).toBe(
      failed.status.operationState.startedAt,
    );

    // Without the Service in git, the next sync prunes it.
    await commit([deployment(STARTER_IMAGE)], 'shop: no Service');
    const pruned = await until(
      a =>
        a.status.operationState?.phase === 'Succeeded' &&
        a.status.sync.status === 'Synced',
    );
    expect(pruned.status.operationState.syncResult.resources).toContainEqual(
      expect.objectContaining({ kind: 'Service', status: 'Pruned' }),
    );
    await expect(
      kc
        .makeApiClient(k8s.CoreV1Api)
        .readNamespacedService({ name: 'shop', namespace: 'shop-dev' }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('refuses another spec under the same name without upsert, says why a source does not load, and deletes what it deployed', async () => {
    const other = {
      ...application,
      spec: {
        ...application.spec,
        source: { ...application.spec.source, path: 'apps/none' },
      },
    };
    expect(await argo('POST', '/api/v1/applications', other)).toEqual({
      status: 400,
      json: expect.objectContaining({
        code: 3,
        message:
          'existing application spec is different, use upsert flag to force update',
      }),
    });
    const moved = await argo('POST', '/api/v1/applications?upsert=true', other);
    expect(moved.json.status.conditions).toEqual([
      {
        type: 'ComparisonError',
        message:
          'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = apps/none: app path does not exist',
      },
    ]);
    expect((await argo('DELETE', '/api/v1/applications/shop')).status).toBe(
      200,
    );
    await expect(
      kc
        .makeApiClient(k8s.AppsV1Api)
        .readNamespacedDeployment({ name: 'shop', namespace: 'shop-dev' }),
    ).rejects.toMatchObject({ code: 404 });
    expect(await app()).toMatchObject({
      status: 404,
      json: { code: 5, message: 'applications.argoproj.io "shop" not found' },
    });
  });
});
