import {
  Cluster,
  CreateClusterCommand,
  DescribeClusterCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import {
  aws,
  eksKubeConfig,
  eksToken,
  eventually,
  FAST,
  useSandbox,
} from '../__testUtils__/sandbox';
import { qualifiedImage, STARTER_IMAGE } from './images';
import { humanDuration } from './table';

describe('Kubernetes API of an EKS cluster', () => {
  const sandbox = useSandbox({
    images: ['shop:1'],
    // Long enough that a pod's first pull error is seen before its back-off, and that a namespace
    // is seen terminating (refusing new content) even on a busy machine.
    durations: { ...FAST, deployment: 2000, namespaceDelete: 3000 },
  });
  let kc: k8s.KubeConfig;
  let cluster: Cluster;

  beforeAll(async () => {
    const ec2 = new EC2Client(aws(sandbox()));
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }),
    );
    const subnetIds = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      subnetIds.push(
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: Vpc!.VpcId,
              CidrBlock: `10.30.${i}.0/24`,
              AvailabilityZone: az,
            }),
          )
        ).Subnet!.SubnetId!,
      );
    }
    const eks = new EKSClient(aws(sandbox()));
    await eks.send(
      new CreateClusterCommand({
        name: 'apps',
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds },
      }),
    );
    cluster = await eventually(async () => {
      const described = (
        await eks.send(new DescribeClusterCommand({ name: 'apps' }))
      ).cluster;
      return described?.endpoint ? described : undefined;
    });
    kc = await eksKubeConfig(cluster);
  });

  it('has the namespaces every cluster has, and keeps the ones that may not be deleted', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const names = (await core.listNamespace()).items.map(n => n.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'default',
        'kube-node-lease',
        'kube-public',
        'kube-system',
      ]),
    );
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const refused = await core.deleteNamespace({ name }).catch(e => e);
      expect(refused.code).toBe(403);
      expect(JSON.parse(refused.body).message).toBe(
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      );
    }
    expect(
      (await core.readNamespace({ name: 'kube-system' })).status?.phase,
    ).toBe('Active');
  });

  it('creates, reads, patches and deletes a namespace, secret, service and ingress', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    await core.createNamespace({
      body: { metadata: { name: 'shop', labels: { team: 'payments' } } },
    });
    const dup = await core
      .createNamespace({ body: { metadata: { name: 'shop' } } })
      .catch(e => e);
    expect(dup.code).toBe(409);
    expect(JSON.parse(dup.body).reason).toBe('AlreadyExists');

    await core.createNamespacedSecret({
      namespace: 'shop',
      body: {
        metadata: { name: 'db' },
        stringData: { DATABASE_URL: 'postgres://x' },
      },
    });
    // stringData is write-only: it is merged into data, base64, and never read back.
    await core.replaceNamespacedSecret({
      name: 'db',
      namespace: 'shop',
      body: {
        metadata: { name: 'db' },
        data: {
          DATABASE_URL: Buffer.from('postgres://old').toString('base64'),
        },
        stringData: { DATABASE_URL: 'postgres://y', TOKEN: 't' },
      },
    });
    const secret = await core.readNamespacedSecret({
      name: 'db',
      namespace: 'shop',
    });
    expect(secret.stringData).toBeUndefined();
    expect(
      Object.fromEntries(
        Object.entries(secret.data!).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString(),
        ]),
      ),
    ).toEqual({ DATABASE_URL: 'postgres://y', TOKEN: 't' });
    await core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: 'web' },
        spec: {
          ports: [{ port: 80, targetPort: 8080 as any }],
          selector: { app: 'web' },
        },
      },
    });
    await net.createNamespacedIngress({
      namespace: 'shop',
      body: {
        metadata: { name: 'web' },
        spec: {
          tls: [{ hosts: ['shop.example.com'], secretName: 'tls' }],
          rules: [],
        },
      },
    });
    expect(
      (await net.readNamespacedIngress({ name: 'web', namespace: 'shop' })).spec
        ?.tls?.[0].hosts,
    ).toEqual(['shop.example.com']);

    const patched = await core.patchNamespace(
      { name: 'shop', body: { metadata: { labels: { env: 'dev' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // The control plane labels every namespace with its name.
    expect(patched.metadata?.labels).toEqual({
      team: 'payments',
      env: 'dev',
      'kubernetes.io/metadata.name': 'shop',
    });

    const missing = await core
      .readNamespacedSecret({ name: 'nope', namespace: 'shop' })
      .catch(e => e);
    expect(missing.code).toBe(404);
    const noNamespace = await core
      .createNamespacedSecret({
        namespace: 'ghost',
        body: { metadata: { name: 'x' } },
      })
      .catch(e => e);
    expect(noNamespace.code).toBe(404);

    await core.deleteNamespace({ name: 'shop' });
    expect(
      (
        await core
          .readNamespacedService({ name: 'web', namespace: 'shop' })
          .catch(e => e)
      ).code,
    ).toBe(404);
    // The namespace terminates: it is there, takes no new content and cannot be created again.
    const ns = await core.readNamespace({ name: 'shop' });
    expect(ns.status?.phase).toBe('Terminating');
    expect(ns.metadata?.deletionTimestamp).toBeDefined();
    const refused = await core
      .createNamespacedSecret({
        namespace: 'shop',
        body: { metadata: { name: 'late' } },
      })
      .catch(e => e);
    expect(refused.code).toBe(403);
    expect(refused.body).toContain(
      'unable to create new content in namespace shop because it is being terminated',
    );
    const again = await core
      .createNamespace({ body: { metadata: { name: 'shop' } } })
      .catch(e => e);
    expect(again.code).toBe(409);
    expect(again.body).toContain('object is being deleted');
    expect(
      (await core.deleteNamespace({ name: 'shop' }).catch(e => e)).code,
    ).toBe(409);
    // Then it is gone, and the name is free.
    await eventually(() =>
      core.readNamespace({ name: 'shop' }).then(
        () => undefined,
        e => (e.code === 404 ? true : undefined),
      ),
    );
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  });

  it('stores objects with the API defaults, merges strategic patches by merge key, and selects every list by label', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'smp' } } });
    const created = await apps.createNamespacedDeployment({
      namespace: 'smp',
      body: {
        metadata: { name: 'api', labels: { tier: 'api' } },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: {
              containers: [
                {
                  name: 'api',
                  image: 'shop:1',
                  ports: [{ containerPort: 8080 }],
                  env: [
                    { name: 'A', value: '1' },
                    { name: 'B', value: '2' },
                  ],
                },
                { name: 'proxy', image: 'envoy' },
              ],
            },
          },
        },
      },
    });
    expect(created.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        spec: {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          terminationGracePeriodSeconds: 30,
        },
      },
    });
    const [api, proxy] = created.spec!.template.spec!.containers;
    expect(api).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
    });
    // No tag is `latest`, pulled every time.
    expect(proxy.imagePullPolicy).toBe('Always');

    // As `kubectl set image` and `kubectl set env` send them: one container and one variable by
    // name, the rest kept; `$patch: delete` removes one element.
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'api',
        namespace: 'smp',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'api',
                    image: 'shop:2',
                    env: [
                      { name: 'B', value: '3' },
                      { name: 'A', $patch: 'delete' },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
      k8s.setHeaderOptions(
        'Content-Type',
        k8s.PatchStrategy.StrategicMergePatch,
      ),
    );
    const containers = patched.spec!.template.spec!.containers;
    expect(containers.map(c => [c.name, c.image])).toEqual([
      ['api', 'shop:2'],
      ['proxy', 'envoy'],
    ]);
    expect(containers[0].env).toEqual([{ name: 'B', value: '3' }]);
    expect(containers[0].ports).toEqual([
      { containerPort: 8080, protocol: 'TCP' },
    ]);
    expect(patched.metadata?.generation).toBe(2);
    // A JSON merge patch of the same list replaces it whole, as RFC 7386 says.
    const merged = await apps.patchNamespacedDeployment(
      {
        name: 'api',
        namespace: 'smp',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'api', image: 'shop:3' }] },
            },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.spec!.template.spec!.containers).toHaveLength(1);

    // A Service gets a cluster IP, kept when a replace leaves it out and never changed.
    const service = {
      metadata: { name: 'api', labels: { tier: 'api' } },
      spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
    };
    const svc = await core.createNamespacedService({
      namespace: 'smp',
      body: service,
    });
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }],
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.100\.\d+\.\d+$/);
    const replaced = await core.replaceNamespacedService({
      name: 'api',
      namespace: 'smp',
      body: service,
    });
    expect(replaced.spec?.clusterIP).toBe(svc.spec?.clusterIP);
    const moved = await core
      .replaceNamespacedService({
        name: 'api',
        namespace: 'smp',
        body: { ...service, spec: { ...service.spec, clusterIP: '10.0.0.9' } },
      })
      .catch(e => e);
    expect(moved.code).toBe(422);
    expect(JSON.parse(moved.body).message).toContain('may not change once set');

    await core.createNamespacedService({
      namespace: 'smp',
      body: {
        metadata: { name: 'web', labels: { tier: 'web' } },
        spec: { ports: [{ port: 80 }] },
      },
    });
    expect(
      (
        await core.listNamespacedService({
          namespace: 'smp',
          labelSelector: 'tier in (api)',
        })
      ).items.map(i => i.metadata?.name),
    ).toEqual(['api']);
    expect(
      (
        await apps.listNamespacedDeployment({
          namespace: 'smp',
          labelSelector: 'tier!=api',
        })
      ).items,
    ).toEqual([]);
    const bad = await core
      .listNamespacedService({ namespace: 'smp', labelSelector: 'tier in api' })
      .catch(e => e);
    expect(bad.code).toBe(400);
    await core.deleteNamespace({ name: 'smp' });
  });

  it('streams a watch: the objects there, then creation, readiness and deletion, selected by field', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'watched' } } });
    const deployment = (name: string) => ({
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name, image: 'shop:1' }] },
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: 'watched',
      body: deployment('before'),
    });
    const events: [string, string, number | undefined][] = [];
    let waiting: (() => void) | undefined;
    const request = await new k8s.Watch(kc).watch(
      '/apis/apps/v1/namespaces/watched/deployments',
      {},
      (type, obj: k8s.V1Deployment) => {
        events.push([type, obj.metadata!.name!, obj.status?.availableReplicas]);
        waiting?.();
      },
      () => {},
    );
    const seen = (type: string, name: string, available?: number) =>
      new Promise<void>(resolve => {
        const check = () => {
          if (
            events.some(
              ([t, n, a]) =>
                t === type &&
                n === name &&
                (available === undefined || a === available),
            )
          )
            resolve();
        };
        waiting = check;
        check();
      });
    await seen('ADDED', 'before');
    await apps.createNamespacedDeployment({
      namespace: 'watched',
      body: deployment('after'),
    });
    await seen('ADDED', 'after');
    // Readiness comes with time, not with a write: the watch still reports it.
    await seen('MODIFIED', 'after', 1);
    await apps.deleteNamespacedDeployment({
      name: 'before',
      namespace: 'watched',
    });
    await seen('DELETED', 'before');
    request.abort();

    // A field selector picks one object, as `kubectl wait` and `rollout status` ask.
    expect(
      (
        await apps.listNamespacedDeployment({
          namespace: 'watched',
          fieldSelector: 'metadata.name=after',
        })
      ).items.map(d => d.metadata?.name),
    ).toEqual(['after']);
    const unsupported = await apps
      .listNamespacedDeployment({
        namespace: 'watched',
        fieldSelector: 'spec.replicas=1',
      })
      .catch(e => e);
    expect(unsupported.code).toBe(400);
    expect(JSON.parse(unsupported.body).message).toBe(
      'field label not supported: spec.replicas',
    );
    await core.deleteNamespace({ name: 'watched' });
  });

  it('answers a dry run with its result and persists nothing, and refuses an unknown dryRun value', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'dry' } } });
    const planned = await core.createNamespacedSecret({
      namespace: 'dry',
      dryRun: 'All',
      body: { metadata: { name: 'db' }, stringData: { PASSWORD: 'p' } },
    });
    expect(planned.metadata?.uid).toBeDefined();
    expect(planned.data).toEqual({
      PASSWORD: Buffer.from('p').toString('base64'),
    });
    const notThere = await core
      .readNamespacedSecret({ name: 'db', namespace: 'dry' })
      .catch(e => e);
    expect(notThere.code).toBe(404);

    await core.createNamespacedSecret({
      namespace: 'dry',
      body: { metadata: { name: 'db' }, stringData: { PASSWORD: 'p' } },
    });
    const before = await core.readNamespacedSecret({
      name: 'db',
      namespace: 'dry',
    });
    const replaced = await core.replaceNamespacedSecret({
      name: 'db',
      namespace: 'dry',
      dryRun: 'All',
      body: { metadata: { name: 'db' }, stringData: { PASSWORD: 'q' } },
    });
    expect(replaced.data?.PASSWORD).toBe(Buffer.from('q').toString('base64'));
    await core.deleteNamespacedSecret({
      name: 'db',
      namespace: 'dry',
      dryRun: 'All',
    });
    await core.deleteNamespace({ name: 'dry', dryRun: 'All' });
    const after = await core.readNamespacedSecret({
      name: 'db',
      namespace: 'dry',
    });
    expect(after.data).toEqual(before.data);
    expect(after.metadata?.resourceVersion).toBe(
      before.metadata?.resourceVersion,
    );
    expect((await core.readNamespace({ name: 'dry' })).status?.phase).toBe(
      'Active',
    );

    const unknown = await core
      .deleteNamespacedSecret({ name: 'db', namespace: 'dry', dryRun: 'true' })
      .catch(e => e);
    expect(unknown.code).toBe(400);
    expect(JSON.parse(unknown.body).message).toBe(
      'dryRun: Unsupported value: "true": supported values: "All"',
    );
    await core.deleteNamespace({ name: 'dry' });
  });

  it('drops the fields a kind does not have, and warns of them, refuses them (Strict) or not (Ignore)', async () => {
    // A raw request: the typed client would drop unknown fields before sending them.
    const raw = async (method: string, path: string, body?: object) => {
      const url = new URL(`${kc.getCurrentCluster()!.server}${path}`);
      const options: https.RequestOptions = {
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { 'content-type': 'application/json' },
      };
      await kc.applyToHTTPSOptions(options);
      return new Promise<{ status: number; warning?: string; body: any }>(
        (resolve, reject) => {
          const req = https.request(options, res => {
            let text = '';
            res.on('data', chunk => (text += chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                warning: res.headers.warning as string | undefined,
                body: JSON.parse(text),
              }),
            );
          });
          req.on('error', reject);
          req.end(body ? JSON.stringify(body) : undefined);
        },
      );
    };
    const secret = (name: string) => ({
      metadata: { name, labels: { app: 'x' }, labelz: { typo: 'yes' } },
      type: 'Opaque',
      stringData: { A: 'a' },
      immutible: true,
    });
    const path = '/api/v1/namespaces/default/secrets';
    // Warn, the API server's default: stored without them, with a warning per field, in the
    // order the decoder meets them.
    const warned = await raw('POST', path, secret('warned'));
    expect(warned.status).toBe(201);
    expect(warned.warning).toBe(
      '299 - "unknown field \\"metadata.labelz\\"", 299 - "unknown field \\"immutible\\""',
    );
    expect(warned.body).not.toHaveProperty('immutible');
    expect(warned.body.metadata).not.toHaveProperty('labelz');
    expect(warned.body.metadata.labels).toEqual({ app: 'x' });
    // Strict (kubectl's default): refused, in the API server's words, and nothing created.
    const strict = await raw(
      'POST',
      `${path}?fieldValidation=Strict`,
      secret('strict'),
    );
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'Secret in version "v1" cannot be handled as a Secret: strict decoding error: unknown field "metadata.labelz", unknown field "immutible"',
    );
    expect((await raw('GET', `${path}/strict`)).status).toBe(404);
    // Ignore: stored without them, silently; a patch is held to the same rules.
    const ignored = await raw(
      'POST',
      `${path}?fieldValidation=Ignore`,
      secret('ignored'),
    );
    expect(ignored.status).toBe(201);
    expect(ignored.warning).toBeUndefined();
    expect(ignored.body).not.toHaveProperty('immutible');
    // An unknown value is refused.
    const bad = await raw(
      'POST',
      `${path}?fieldValidation=strict`,
      secret('bad'),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      'fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
    );
  });

  it("refuses a Deployment the API server's validation refuses, on create and on update", async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'validation' } } });
    const refused = async (request: Promise<unknown>) => {
      const e: any = await request.catch(error => error);
      expect(e.code).toBe(422);
      return JSON.parse(e.body).message;
    };
    const template = (labels: Record<string, string>, image?: string) => ({
      metadata: { labels },
      spec: { containers: [{ name: 'web', image }] },
    });
    expect(
      await refused(
        apps.createNamespacedDeployment({
          namespace: 'validation',
          body: {
            metadata: { name: 'unselected' },
            spec: { template: template({ app: 'web' }) } as any,
          },
        }),
      ),
    ).toBe(
      'Deployment.apps "unselected" is invalid: [spec.selector: Required value, spec.template.spec.containers[0].image: Required value]',
    );
    expect(
      await refused(
        apps.createNamespacedDeployment({
          namespace: 'validation',
          body: {
            metadata: { name: 'mismatched' },
            spec: {
              selector: { matchLabels: { app: 'api' } },
              template: template({ app: 'web', tier: 'front' }, STARTER_IMAGE),
            },
          },
        }),
      ),
    ).toBe(
      'Deployment.apps "mismatched" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "tier":"front"}: `selector` does not match template `labels`',
    );
    await apps.createNamespacedDeployment({
      namespace: 'validation',
      body: {
        metadata: { name: 'valid' },
        spec: {
          selector: {
            matchExpressions: [
              { key: 'app', operator: 'In', values: ['valid'] },
            ],
          },
          template: template({ app: 'valid' }, STARTER_IMAGE),
        },
      },
    });
    // An update is held to the same rules: a patch that empties the containers is refused.
    expect(
      await refused(
        apps.patchNamespacedDeployment(
          {
            name: 'valid',
            namespace: 'validation',
            body: { spec: { template: { spec: { containers: [] } } } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ),
      ),
    ).toBe(
      'Deployment.apps "valid" is invalid: spec.template.spec.containers: Required value',
    );
  });

  it("refuses names by each kind's rule: a Namespace's is a label, a Service's a DNS-1035 label, others a subdomain", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const refused = async (request: Promise<unknown>) => {
      const e: any = await request.catch(error => error);
      expect(e.code).toBe(422);
      return JSON.parse(e.body).message;
    };
    expect(
      await refused(
        core.createNamespace({ body: { metadata: { name: 'a.b' } } }),
      ),
    ).toBe(
      `Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
    expect(
      await refused(
        core.createNamespacedService({
          namespace: 'default',
          body: { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } },
        }),
      ),
    ).toMatch(
      /^Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
    expect(
      await refused(
        core.createNamespacedSecret({
          namespace: 'default',
          body: { metadata: { name: 'x'.repeat(254) } },
        }),
      ),
    ).toBe(
      `Secret "${'x'.repeat(
        254,
      )}" is invalid: metadata.name: Invalid value: "${'x'.repeat(
        254,
      )}": must be no more than 253 characters`,
    );
    // A subdomain may have dots; a label may start with a digit.
    await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'db.credentials' } },
    });
    await core.createNamespace({ body: { metadata: { name: '1st' } } });
  });

  it("refuses Services, Ingresses and Secrets the API server's validation refuses, in its words", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    const refused = async (request: Promise<unknown>) => {
      const e: any = await request.catch(error => error);
      expect(e.code).toBe(422);
      return JSON.parse(e.body).message;
    };
    const namespace = 'default';
    expect(
      await refused(
        core.createNamespacedService({
          namespace,
          body: { metadata: { name: 'portless' }, spec: {} },
        }),
      ),
    ).toBe('Service "portless" is invalid: spec.ports: Required value');
    expect(
      await refused(
        core.createNamespacedService({
          namespace,
          body: {
            metadata: { name: 'badports' },
            spec: {
              ports: [
                { name: 'http', port: 70000, protocol: 'HTTP' },
                { port: 443, targetPort: 0 as any },
              ],
            },
          },
        }),
      ),
    ).toBe(
      'Service "badports" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP", spec.ports[1].name: Required value, spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]',
    );
    // A headless Service needs no ports.
    await core.createNamespacedService({
      namespace,
      body: { metadata: { name: 'headless' }, spec: { clusterIP: 'None' } },
    });
    const path = (p: object): any => ({
      metadata: { name: 'site' },
      spec: {
        rules: [
          {
            http: {
              paths: [
                {
                  backend: { service: { name: 'web', port: { number: 80 } } },
                  ...p,
                },
              ],
            },
          },
        ],
      },
    });
    expect(
      await refused(
        net.createNamespacedIngress({ namespace, body: path({ path: '/' }) }),
      ),
    ).toBe(
      'Ingress.networking.k8s.io "site" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
    );
    expect(
      await refused(
        net.createNamespacedIngress({
          namespace,
          body: path({ path: 'shop', pathType: 'Prefix' }),
        }),
      ),
    ).toBe(
      'Ingress.networking.k8s.io "site" is invalid: spec.rules[0].http.paths[0].path: Invalid value: "shop": must be an absolute path',
    );
    expect(
      await refused(
        core.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name: 'keys' },
            stringData: { 'DB PASSWORD': 'x' },
          },
        }),
      ),
    ).toBe(
      `Secret "keys" is invalid: data[DB PASSWORD]: Invalid value: "DB PASSWORD": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    );
  });

  it('reports a Deployment available once its pods would be ready, and after a patch rolls again', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const body = {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'shop:1' }] },
        },
      },
    };
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body,
    });
    expect(created.status?.availableReplicas).toBeUndefined();
    const ready = await eventually(async () => {
      const s = (
        await apps.readNamespacedDeploymentStatus({
          name: 'web',
          namespace: 'default',
        })
      ).status;
      return s?.availableReplicas === 2 ? s : undefined;
    });
    expect(ready.conditions?.find(c => c.type === 'Available')?.status).toBe(
      'True',
    );

    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: [
          {
            op: 'replace',
            path: '/spec/template/spec/containers/0/image',
            value: 'shop:2',
          },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.status?.availableReplicas).toBeUndefined();

    const invalid = await apps
      .createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: 'empty' },
          spec: { selector: {}, template: {} },
        } as any,
      })
      .catch(e => e);
    expect(invalid.code).toBe(422);
  });

  it('serves TLS signed by the cluster CA, and refuses what is not an EKS token', async () => {
    expect(cluster.endpoint).toMatch(
      new RegExp(`^${sandbox().kubernetesUrl}/k8s/[0-9A-F]{32}$`),
    );
    expect(
      Buffer.from(cluster.certificateAuthority!.data!, 'base64').toString(),
    ).toBe(sandbox().kubernetesCaPem);
    const namespaces = (config: k8s.KubeConfig) =>
      config
        .makeApiClient(k8s.CoreV1Api)
        .listNamespace()
        .then(
          () => 200,
          e => e.code ?? e.cause?.code ?? e.message,
        );
    expect(await namespaces(kc)).toBe(200);
    // An unknown CA: the client refuses the server.
    expect(
      await namespaces(
        await eksKubeConfig({ ...cluster, certificateAuthority: undefined }),
      ),
    ).toMatch(/CERT|UNABLE_TO_VERIFY/);
    for (const token of [
      'sandbox-token',
      `k8s-aws-v1.${Buffer.from(
        'https://evil.example.com/?Action=GetCallerIdentity',
      ).toString('base64url')}`,
    ])
      expect(await namespaces(await eksKubeConfig(cluster, token))).toBe(401);
    expect(
      await namespaces(
        await eksKubeConfig({
          ...cluster,
          endpoint: `${sandbox().kubernetesUrl}/k8s/${'0'.repeat(32)}`,
        }),
      ),
    ).toBe(503);
    // Plain HTTP on the AWS port serves no Kubernetes API.
    expect(
      (
        await fetch(`${sandbox().url}/k8s/${'0'.repeat(32)}/api`, {
          headers: { authorization: `Bearer ${await eksToken('apps')}` },
        })
      ).status,
    ).toBe(404);
  });

  it('serves discovery, pages lists, and refuses an update of a stale version', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version).toMatchObject({ major: '1', minor: '35' });
    expect(version.gitVersion).toMatch(/^v1\.35\./);
    expect(
      (await kc.makeApiClient(k8s.CoreApi).getAPIVersions()).versions,
    ).toEqual(['v1']);
    const groups = (await kc.makeApiClient(k8s.ApisApi).getAPIVersions())
      .groups;
    expect(groups.map(g => g.name).sort()).toEqual([
      'apps',
      'batch',
      'networking.k8s.io',
    ]);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const served = (await core.getAPIResources()).resources;
    expect(served.find(r => r.name === 'pods')?.verbs).toEqual([
      'get',
      'list',
      'watch',
    ]);
    expect(served.find(r => r.name === 'namespaces')?.namespaced).toBe(false);
    expect(
      (await kc.makeApiClient(k8s.AppsV1Api).getAPIResources()).resources.map(
        r => [r.name, r.verbs.includes('create')],
      ),
    ).toEqual([
      ['deployments', true],
      // Derived from the Deployments: read-only.
      ['replicasets', false],
    ]);
    expect(served.find(r => r.name === 'pods/log')?.verbs).toEqual(['get']);

    await core.createNamespace({ body: { metadata: { name: 'paged' } } });
    for (const name of ['c', 'a', 'b'])
      await core.createNamespacedSecret({
        namespace: 'paged',
        body: { metadata: { name }, stringData: { k: name } },
      });
    const first = await core.listNamespacedSecret({
      namespace: 'paged',
      limit: 2,
    });
    expect(first.items.map(i => i.metadata?.name)).toEqual(['a', 'b']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const second = await core.listNamespacedSecret({
      namespace: 'paged',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(second.items.map(i => i.metadata?.name)).toEqual(['c']);
    expect(second.metadata?._continue).toBeUndefined();
    const forged = await core
      .listNamespacedSecret({ namespace: 'paged', _continue: 'bm9wZQ==' })
      .catch(e => e);
    expect(forged.code).toBe(400);

    // Optimistic concurrency: an update naming an old resourceVersion is a conflict.
    const read = await core.readNamespacedSecret({
      name: 'a',
      namespace: 'paged',
    });
    await core.replaceNamespacedSecret({
      name: 'a',
      namespace: 'paged',
      body: { ...read, stringData: { k: 'new' } },
    });
    const stale = await core
      .replaceNamespacedSecret({
        name: 'a',
        namespace: 'paged',
        body: { ...read, stringData: { k: 'lost' } },
      })
      .catch(e => e);
    expect(stale.code).toBe(409);
    expect(stale.body).toContain('the object has been modified');
  });

  it('runs pods only of images a registry holds: ErrImagePull, then ImagePullBackOff, then the progress deadline', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const deployment = (name: string, image: string) => ({
      metadata: { name },
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name, tier: 'web' } },
          spec: { containers: [{ name, image }] },
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('ghost', 'ghcr.io/acme/ghost:0.1.0'),
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('typo', 'ghcr.io/Acme/typo:1'),
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('starter', STARTER_IMAGE),
    });
    const waiting = async (app: string) => {
      const { items } = await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: `app=${app}`,
      });
      expect(items).toHaveLength(2);
      expect(items.every(p => p.metadata?.labels?.app === app)).toBe(true);
      return items[0].status?.containerStatuses?.[0].state?.waiting;
    };
    // The kubelet cannot resolve the image: a pull error naming it, then a back-off.
    const first = await waiting('ghost');
    expect(first?.reason).toBe('ErrImagePull');
    expect(first?.message).toContain(
      'failed to resolve reference "ghcr.io/acme/ghost:0.1.0": ghcr.io/acme/ghost:0.1.0: not found',
    );
    await eventually(async () =>
      (await waiting('ghost'))?.reason === 'ImagePullBackOff'
        ? true
        : undefined,
    );
    expect((await waiting('typo'))?.reason).toBe('InvalidImageName');
    // The starter image pulls: its pods run and the Deployment becomes available.
    await eventually(async () => {
      const { items } = await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: 'app in (starter),tier=web',
      });
      return items.length === 2 &&
        items.every(p => p.status?.phase === 'Running')
        ? true
        : undefined;
    });
    // The Deployment that cannot pull is never available and fails at its deadline.
    const stalled = await eventually(async () => {
      const s = (
        await apps.readNamespacedDeploymentStatus({
          name: 'ghost',
          namespace: 'default',
        })
      ).status;
      expect(s?.availableReplicas).toBeUndefined();
      return s?.conditions?.find(
        c => c.type === 'Progressing' && c.status === 'False',
      );
    });
    expect(stalled.reason).toBe('ProgressDeadlineExceeded');
    // Selectors filter; one that does not parse is refused as the API server refuses it.
    expect(
      (
        await core.listNamespacedPod({
          namespace: 'default',
          labelSelector: 'app notin (ghost,typo,starter,web)',
        })
      ).items,
    ).toHaveLength(0);
    const bad = await core
      .listNamespacedPod({ namespace: 'default', labelSelector: 'app=(x' })
      .catch(e => e);
    expect(bad.code).toBe(400);
  });

  it("derives each Deployment's ReplicaSet and pods, owned by uid, and serves a pod's log and events as the kubelet does", async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const body = (name: string, image: string) => ({
      metadata: { name },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'web', image }] },
        },
      },
    });
    const deployment = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: body('owned', STARTER_IMAGE),
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: body('unpulled', 'ghcr.io/acme/unpulled:1'),
    });
    const running = await eventually(async () => {
      const { items } = await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: 'app=owned',
      });
      return items.every(p => p.status?.phase === 'Running')
        ? items
        : undefined;
    });
    const [rs, ...others] = (
      await apps.listNamespacedReplicaSet({
        namespace: 'default',
        labelSelector: 'app=owned',
      })
    ).items;
    expect(others).toHaveLength(0);
    // Deployment -> ReplicaSet -> pods, each naming its owner's uid, as Backstage's
    // Kubernetes view groups them.
    expect(rs.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'owned',
        uid: deployment.metadata?.uid,
        controller: true,
      }),
    ]);
    expect(rs.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    expect(rs.spec?.selector?.matchLabels?.['pod-template-hash']).toBe(
      rs.metadata?.labels?.['pod-template-hash'],
    );
    expect(running).toHaveLength(2);
    for (const pod of running) {
      expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: rs.metadata?.name,
        uid: rs.metadata?.uid,
      });
    }
    // Read again, the same objects: uids do not change between reads.
    expect(
      (
        await apps.readNamespacedReplicaSet({
          name: rs.metadata!.name!,
          namespace: 'default',
        })
      ).metadata?.uid,
    ).toBe(rs.metadata?.uid);

    // A running container's log; the container defaults to the only one.
    const pod = running[0].metadata!.name!;
    const log = await core.readNamespacedPodLog({
      name: pod,
      namespace: 'default',
      timestamps: true,
    });
    expect(log).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\S+ \\[sandbox\\] container web started from ${STARTER_IMAGE.replace(
          /[.]/g,
          '\\.',
        )}`,
      ),
    );
    expect(
      await core.readNamespacedPodLog({
        name: pod,
        namespace: 'default',
        tailLines: 0,
      }),
    ).toBe('');
    const refused = async (request: Promise<unknown>) => {
      const e: any = await request.catch(error => error);
      expect(e.code).toBe(400);
      return JSON.parse(e.body).message;
    };
    expect(
      await refused(
        core.readNamespacedPodLog({
          name: pod,
          namespace: 'default',
          container: 'sidecar',
        }),
      ),
    ).toBe(`container sidecar is not valid for pod ${pod}`);
    expect(
      await refused(
        core.readNamespacedPodLog({
          name: pod,
          namespace: 'default',
          previous: true,
        }),
      ),
    ).toBe(`previous terminated container "web" in pod "${pod}" not found`);
    // A container that never started has no log: the kubelet says why.
    const stuck = (
      await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: 'app=unpulled',
      })
    ).items[0].metadata!.name!;
    expect(
      await refused(
        core.readNamespacedPodLog({ name: stuck, namespace: 'default' }),
      ),
    ).toMatch(
      new RegExp(
        `^container "web" in pod "${stuck}" is waiting to start: (image can't be pulled|trying and failing to pull image)$`,
      ),
    );
    const missing = await core
      .readNamespacedPodLog({ name: 'nobody', namespace: 'default' })
      .catch(e => e);
    expect(missing.code).toBe(404);

    // The kubelet's events of each pod, selected by the pod they are about.
    const eventsOf = async (podName: string) =>
      (
        await core.listNamespacedEvent({
          namespace: 'default',
          fieldSelector: `involvedObject.name=${podName},involvedObject.kind=Pod`,
        })
      ).items;
    const started = await eventsOf(pod);
    expect(started.map(e => [e.type, e.reason])).toEqual([
      ['Normal', 'Pulling'],
      ['Normal', 'Pulled'],
      ['Normal', 'Created'],
      ['Normal', 'Started'],
    ]);
    expect(started[3]).toMatchObject({
      message: 'Started container web',
      involvedObject: {
        kind: 'Pod',
        uid: running[0].metadata?.uid,
        fieldPath: 'spec.containers{web}',
      },
      source: { component: 'kubelet' },
    });
    const failed = await eventsOf(stuck);
    expect(
      failed.filter(e => e.type === 'Warning').map(e => e.message),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Failed to pull image "ghcr.io\/acme\/unpulled:1": .*not found$/,
        ),
        'Error: ErrImagePull',
      ]),
    );
    const unsupported = await core
      .listNamespacedEvent({
        namespace: 'default',
        fieldSelector: 'involvedObject.color=red',
      })
      .catch(e => e);
    expect(unsupported.code).toBe(400);
    expect(JSON.parse(unsupported.body).message).toBe(
      'field label not supported: involvedObject.color',
    );
  });
});

describe('qualifiedImage', () => {
  it('resolves references as the container runtime does, and refuses what does not parse', () => {
    expect(qualifiedImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(qualifiedImage('acme/shop:1')).toBe('docker.io/acme/shop:1');
    expect(qualifiedImage('localhost:5000/shop')).toBe(
      'localhost:5000/shop:latest',
    );
    expect(
      qualifiedImage(
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/shop:2',
      ),
    ).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/team/shop:2');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(qualifiedImage(`ghcr.io/acme/shop@${digest}`)).toBe(
      `ghcr.io/acme/shop@${digest}`,
    );
    expect(qualifiedImage('ghcr.io/Acme/shop:1')).toBeUndefined();
    expect(qualifiedImage('shop:')).toBeUndefined();
    expect(qualifiedImage('shop@sha256:short')).toBeUndefined();
    expect(qualifiedImage(`shop:${'x'.repeat(129)}`)).toBeUndefined();
  });
});

describe('humanDuration', () => {
  it("prints an age as Kubernetes' HumanDuration does (its own test cases)", () => {
    const s = 1000;
    const h = 3600 * s;
    expect(
      [
        s,
        70 * s,
        190 * s,
        70 * 60 * s,
        47 * h,
        49 * h,
        (8 * 24 + 2) * h,
        367 * 24 * h,
        (365 * 2 * 24 + 25) * h,
        (365 * 8 * 24 + 2) * h,
      ].map(humanDuration),
    ).toEqual([
      '1s',
      '70s',
      '3m10s',
      '70m',
      '47h',
      '2d1h',
      '8d',
      '367d',
      '2y1d',
      '8y',
    ]);
  });
});
