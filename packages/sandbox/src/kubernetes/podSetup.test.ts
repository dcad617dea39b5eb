import {
  type Cluster,
  CreateAddonCommand,
  CreateClusterCommand,
  CreatePodIdentityAssociationCommand,
  DeleteClusterCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  EKSClient,
  ListAddonsCommand,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as k8s from '@kubernetes/client-node';
import {
  aws,
  clusterSubnets,
  eksKubeConfig,
  eventually,
  useSandbox,
} from '../__testUtils__/sandbox';

const ROLE = 'arn:aws:iam::123456789012:role/app-secrets';
const SYNC = JSON.stringify({
  'secrets-store-csi-driver': {
    syncSecret: { enabled: true },
    enableSecretRotation: true,
    rotationPollInterval: '1s',
  },
});

describe('Secrets from Secrets Manager in pods: EKS add-ons, Pod Identity and the Secrets Store CSI driver', () => {
  const sandbox = useSandbox({ images: ['shop:1'] });
  const eks = () => new EKSClient(aws(sandbox()));
  let cluster: Cluster;
  let kc: k8s.KubeConfig;
  let secretArn: string;
  let subnetIds: string[];

  const activeCluster = async (name: string) => {
    await eks().send(
      new CreateClusterCommand({
        name,
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds },
      }),
    );
    return eventually(async () => {
      const c = (await eks().send(new DescribeClusterCommand({ name })))
        .cluster;
      return c?.status === 'ACTIVE' ? c : undefined;
    });
  };
  const addonActive = (addonName: string, clusterName = 'shop') =>
    eventually(async () => {
      const a = (
        await eks().send(new DescribeAddonCommand({ clusterName, addonName }))
      ).addon;
      return a?.status === 'ACTIVE' ? a : undefined;
    });

  beforeAll(async () => {
    subnetIds = await clusterSubnets(sandbox(), '10.44');
    cluster = await activeCluster('shop');
    kc = await eksKubeConfig(cluster);
    secretArn = (
      await new SecretsManagerClient(aws(sandbox())).send(
        new CreateSecretCommand({
          Name: 'shop/db',
          SecretString: JSON.stringify({ username: 'app', password: 's3cr3t' }),
        }),
      )
    ).ARN!;
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'shop' } } });
  });

  it('runs add-ons of EKS catalogue CREATING -> ACTIVE, one of each name, and refuses the rest', async () => {
    const unknown = await eks()
      .send(new CreateAddonCommand({ clusterName: 'shop', addonName: 'helm' }))
      .catch(e => e);
    expect(unknown.name).toBe('InvalidParameterException');
    expect(unknown.message).toMatch(/Addon helm specified is not supported/);
    const badConfig = await eks()
      .send(
        new CreateAddonCommand({
          clusterName: 'shop',
          addonName: 'eks-pod-identity-agent',
          configurationValues: '[1, 2',
        }),
      )
      .catch(e => e);
    expect(badConfig.name).toBe('InvalidParameterException');

    const created = await eks().send(
      new CreateAddonCommand({
        clusterName: 'shop',
        addonName: 'eks-pod-identity-agent',
      }),
    );
    expect(created.addon?.status).toBe('CREATING');
    const again = await eks()
      .send(
        new CreateAddonCommand({
          clusterName: 'shop',
          addonName: 'eks-pod-identity-agent',
        }),
      )
      .catch(e => e);
    expect(again.name).toBe('ResourceInUseException');
    expect((await addonActive('eks-pod-identity-agent')).addonVersion).toMatch(
      /eksbuild/,
    );
    expect(
      (await eks().send(new ListAddonsCommand({ clusterName: 'shop' }))).addons,
    ).toEqual(['eks-pod-identity-agent']);
  });

  it('gives a service account an IAM role through one Pod Identity association, and finds it by namespace and service account', async () => {
    const badRole = await eks()
      .send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'shop',
          namespace: 'shop',
          serviceAccount: 'web',
          roleArn: 'app-secrets',
        }),
      )
      .catch(e => e);
    expect(badRole.name).toBe('InvalidParameterException');
    const { association } = await eks().send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'shop',
        namespace: 'shop',
        serviceAccount: 'web',
        roleArn: ROLE,
      }),
    );
    expect(association?.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    const twice = await eks()
      .send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'shop',
          namespace: 'shop',
          serviceAccount: 'web',
          roleArn: ROLE,
        }),
      )
      .catch(e => e);
    expect(twice.name).toBe('ResourceInUseException');
    const list = (namespace: string) =>
      eks().send(
        new ListPodIdentityAssociationsCommand({
          clusterName: 'shop',
          namespace,
          serviceAccount: 'web',
        }),
      );
    expect(
      (await list('shop')).associations?.map(a => a.associationId),
    ).toEqual([association?.associationId]);
    expect((await list('other')).associations).toEqual([]);
  });

  it('serves SecretProviderClass only where the driver add-on installed its CRD, mounts and syncs secrets into the pods that use it, and follows a rotation', async () => {
    const objects = kc.makeApiClient(k8s.KubernetesObjectApi);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const spc = {
      apiVersion: 'secrets-store.csi.x-k8s.io/v1',
      kind: 'SecretProviderClass',
      metadata: { name: 'web-secrets', namespace: 'shop' },
      spec: {
        provider: 'aws',
        parameters: {
          usePodIdentity: 'true',
          objects: `- objectName: "${secretArn}"\n  jmesPath:\n    - path: password\n      objectAlias: DB_PASSWORD\n`,
        },
        secretObjects: [
          {
            secretName: 'web-secrets',
            type: 'Opaque',
            data: [{ objectName: 'DB_PASSWORD', key: 'DB_PASSWORD' }],
          },
        ],
      },
    };
    const noCrd = await objects.create(spc).catch(e => e);
    expect(noCrd.code).toBe(404);

    await core.createNamespacedServiceAccount({
      namespace: 'shop',
      body: { metadata: { name: 'web' } },
    });
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              serviceAccountName: 'web',
              containers: [
                {
                  name: 'web',
                  image: 'shop:1',
                  env: [
                    {
                      name: 'DB_PASSWORD',
                      valueFrom: {
                        secretKeyRef: {
                          name: 'web-secrets',
                          key: 'DB_PASSWORD',
                        },
                      },
                    },
                  ],
                  volumeMounts: [
                    {
                      name: 'secrets',
                      mountPath: '/mnt/secrets',
                      readOnly: true,
                    },
                  ],
                },
              ],
              volumes: [
                {
                  name: 'secrets',
                  csi: {
                    driver: 'secrets-store.csi.k8s.io',
                    readOnly: true,
                    volumeAttributes: { secretProviderClass: 'web-secrets' },
                  },
                },
              ],
            },
          },
        },
      },
    });
    const mountEvents = async () =>
      (
        await core.listNamespacedEvent({
          namespace: 'shop',
          fieldSelector: 'reason=FailedMount',
        })
      ).items.map(e => e.message);
    // No driver on the nodes: the volume does not mount, the pods wait in ContainerCreating.
    expect(await mountEvents()).toEqual([
      expect.stringContaining(
        'driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers',
      ),
    ]);
    const [pod] = (await core.listNamespacedPod({ namespace: 'shop' })).items;
    expect(pod.status?.containerStatuses?.[0].state?.waiting?.reason).toBe(
      'ContainerCreating',
    );

    await eks().send(
      new CreateAddonCommand({
        clusterName: 'shop',
        addonName: 'aws-secrets-store-csi-driver-provider',
        configurationValues: SYNC,
      }),
    );
    await addonActive('aws-secrets-store-csi-driver-provider');
    expect(await mountEvents()).toEqual([
      expect.stringContaining(
        'SecretProviderClass.secrets-store.csi.x-k8s.io "web-secrets" not found',
      ),
    ]);
    const refused = await objects
      .create({
        ...spc,
        spec: {
          ...spc.spec,
          parameters: {
            ...spc.spec.parameters,
            objects: [{ objectName: 'x' }],
          },
        },
      } as k8s.KubernetesObject)
      .catch(e => e);
    expect(refused.code).toBe(422);
    expect(JSON.parse(refused.body).message).toContain(
      'spec.parameters.objects in body must be of type string',
    );
    await objects.create(spc);

    // Mounted and synced: the pods start with the secret's value in their Secret.
    await eventually(async () =>
      (
        await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' })
      ).status?.availableReplicas === 1
        ? true
        : undefined,
    );
    const synced = await core.readNamespacedSecret({
      name: 'web-secrets',
      namespace: 'shop',
    });
    expect(synced.metadata?.labels?.['secrets-store.csi.k8s.io/managed']).toBe(
      'true',
    );
    expect(Buffer.from(synced.data!.DB_PASSWORD, 'base64').toString()).toBe(
      's3cr3t',
    );

    // Rotated in Secrets Manager, it reaches the running pods' Secret at the driver's next
    // rotation poll, without a redeploy.
    await new SecretsManagerClient(aws(sandbox())).send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        SecretString: JSON.stringify({ username: 'app', password: 'r0tated' }),
      }),
    );
    const generation = (
      await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' })
    ).metadata?.generation;
    await eventually(async () => {
      const s = await core.readNamespacedSecret({
        name: 'web-secrets',
        namespace: 'shop',
      });
      return Buffer.from(s.data!.DB_PASSWORD, 'base64').toString() === 'r0tated'
        ? true
        : undefined;
    });
    expect(
      (await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' }))
        .metadata?.generation,
    ).toBe(generation);
  });

  it('keeps pods from starting without the role, the service account or the Secret their env names', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const [association] =
      (
        await eks().send(
          new ListPodIdentityAssociationsCommand({ clusterName: 'shop' }),
        )
      ).associations ?? [];
    await eks().send(
      new DeletePodIdentityAssociationCommand({
        clusterName: 'shop',
        associationId: association.associationId,
      }),
    );
    const deploy = (name: string, spec: k8s.V1PodSpec) =>
      apps.createNamespacedDeployment({
        namespace: 'shop',
        body: {
          metadata: { name },
          spec: {
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec },
          },
        },
      });
    await core.deleteNamespacedSecret({
      name: 'web-secrets',
      namespace: 'shop',
    });
    const web = await apps.readNamespacedDeployment({
      name: 'web',
      namespace: 'shop',
    });
    await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'shop',
      body: {
        ...web,
        spec: {
          ...web.spec!,
          template: {
            ...web.spec!.template,
            metadata: { labels: { app: 'web' }, annotations: { v: '2' } },
          },
        },
      },
    });
    await deploy('ghost', {
      serviceAccountName: 'ghost',
      containers: [{ name: 'c', image: 'shop:1' }],
    });
    await deploy('env', {
      containers: [
        {
          name: 'c',
          image: 'shop:1',
          env: [
            {
              name: 'TOKEN',
              valueFrom: { secretKeyRef: { name: 'missing', key: 'token' } },
            },
          ],
        },
      ],
    });
    const events = (
      await core.listNamespacedEvent({ namespace: 'shop' })
    ).items.map(e => `${e.reason}: ${e.message}`);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^FailedMount: .*no EKS Pod Identity association for service account web \(namespace: shop\)/,
        ),
        'Failed: Error: secret "missing" not found',
      ]),
    );
    const ghost = await apps.readNamespacedDeployment({
      name: 'ghost',
      namespace: 'shop',
    });
    expect(
      ghost.status?.conditions?.find(c => c.type === 'ReplicaFailure')?.message,
    ).toContain('serviceaccount "ghost" not found');
    const pods = (await core.listNamespacedPod({ namespace: 'shop' })).items;
    expect(pods.some(p => p.metadata?.name?.startsWith('ghost-'))).toBe(false);
    const envPod = pods.find(p => p.metadata?.name?.startsWith('env-'));
    expect(envPod?.status?.containerStatuses?.[0].state?.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'secret "missing" not found',
    });
  });

  it("takes a cluster's add-ons and associations with it: a cluster made again with its name has none", async () => {
    subnetIds = await clusterSubnets(sandbox(), '10.45');
    await activeCluster('again');
    await eks().send(
      new CreateAddonCommand({
        clusterName: 'again',
        addonName: 'eks-pod-identity-agent',
      }),
    );
    await eks().send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'again',
        namespace: 'shop',
        serviceAccount: 'web',
        roleArn: ROLE,
      }),
    );
    await eks().send(new DeleteClusterCommand({ name: 'again' }));
    await eventually(async () =>
      (await eks()
        .send(new DescribeClusterCommand({ name: 'again' }))
        .catch(e => e.name)) === 'ResourceNotFoundException'
        ? true
        : undefined,
    );
    await activeCluster('again');
    expect(
      (await eks().send(new ListAddonsCommand({ clusterName: 'again' })))
        .addons,
    ).toEqual([]);
    expect(
      (
        await eks().send(
          new ListPodIdentityAssociationsCommand({ clusterName: 'again' }),
        )
      ).associations,
    ).toEqual([]);
  });
});
