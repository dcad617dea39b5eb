import {
  APP_CATEGORIES,
  type ChartValues,
  chartKinds,
  renderChart,
} from './render';
import { isCronSchedule, lintChart } from './lint';

const values = (extra: Partial<ChartValues> = {}): ChartValues => ({
  category: 'web-service',
  name: 'shop',
  namespace: 'shop-dev',
  stack: 'shop-dev',
  image: 'ghcr.io/acme/shop:1.0.0',
  replicas: 2,
  cpu: '250m',
  memory: '512Mi',
  port: 8080,
  healthCheckPath: '/healthz',
  env: { DB_HOST: 'db.example' },
  secretEnv: ['DB_PASSWORD'],
  secretName: 'shop-secrets',
  hosts: ['shop-dev.apps.example', 'shop.example.com'],
  tls: true,
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
  schedule: '0 3 * * *',
  ...extra,
});

describe('the chart library', () => {
  it.each(APP_CATEGORIES)('renders a %s that lints clean', category => {
    const manifests = renderChart(values({ category }));
    expect(lintChart(manifests, 'shop-secrets')).toEqual([]);
    for (const m of manifests) {
      expect(m.metadata).toMatchObject({
        name: 'shop',
        namespace: 'shop-dev',
        labels: {
          'app.kubernetes.io/name': 'shop',
          'app.kubernetes.io/component': category,
          'konductor.dev/stack': 'shop-dev',
        },
      });
    }
  });

  it('renders each category as its kinds of object', () => {
    expect(
      Object.fromEntries(APP_CATEGORIES.map(c => [c, chartKinds(c)])),
    ).toEqual({
      'web-service': ['deployment', 'service', 'ingress'],
      api: ['deployment', 'service'],
      worker: ['deployment'],
      'cron-job': ['cronjob'],
    });
  });

  it('gives a web service probes, a Service and an ingress on its names with its certificate', () => {
    const [deployment, service, ingress] = renderChart(values());
    const container = deployment.spec!.template.spec.containers[0];
    expect(container).toMatchObject({
      image: 'ghcr.io/acme/shop:1.0.0',
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      resources: {
        requests: { cpu: '250m', memory: '512Mi' },
        limits: { memory: '512Mi' },
      },
      env: [
        { name: 'DB_HOST', value: 'db.example' },
        {
          name: 'DB_PASSWORD',
          valueFrom: {
            secretKeyRef: { name: 'shop-secrets', key: 'DB_PASSWORD' },
          },
        },
      ],
    });
    expect(service.spec!.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
    ]);
    expect(ingress.metadata.annotations).toEqual({
      'alb.ingress.kubernetes.io/certificate-arn':
        'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    });
    expect(ingress.spec!.tls).toEqual([
      {
        hosts: ['shop-dev.apps.example', 'shop.example.com'],
        secretName: 'shop-tls',
      },
    ]);
    expect(ingress.spec!.rules.map((r: any) => r.host)).toEqual([
      'shop-dev.apps.example',
      'shop.example.com',
    ]);
    expect(
      renderChart(values({ tls: false, certificateArn: undefined }))[2],
    ).not.toHaveProperty('spec.tls');
  });

  it('brings the Secret from Secrets Manager when it is told where the values live: a service account, a SecretProviderClass and the CSI volume', () => {
    const rds = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1';
    const store = {
      region: 'us-east-1',
      sources: {
        DB_USER: { secretId: rds, jsonKey: 'username' },
        DB_PASSWORD: { secretId: rds, jsonKey: 'password' },
        SESSION_KEY: { secretId: 'konductor/shop-dev/SESSION_KEY' },
      },
    };
    for (const category of APP_CATEGORIES) {
      const manifests = renderChart(
        values({
          category,
          secretEnv: ['DB_USER', 'DB_PASSWORD', 'SESSION_KEY'],
          secretStore: store,
        }),
      );
      expect(lintChart(manifests, 'shop-secrets')).toEqual([]);
      const [account, spc, workload] = manifests;
      expect(account).toMatchObject({
        kind: 'ServiceAccount',
        metadata: { name: 'shop' },
      });
      expect(spc.kind).toBe('SecretProviderClass');
      expect(spc.metadata.name).toBe('shop-secrets');
      // One object per secret; a JSON key is a file named after its variable.
      expect(JSON.parse(spc.spec!.parameters.objects)).toEqual([
        {
          objectName: rds,
          objectType: 'secretsmanager',
          objectAlias: 'secret-0',
          jmesPath: [
            { path: 'username', objectAlias: 'DB_USER' },
            { path: 'password', objectAlias: 'DB_PASSWORD' },
          ],
        },
        {
          objectName: 'konductor/shop-dev/SESSION_KEY',
          objectType: 'secretsmanager',
          objectAlias: 'secret-1',
        },
      ]);
      expect(spc.spec!.parameters).toMatchObject({
        region: 'us-east-1',
        usePodIdentity: 'true',
      });
      expect(spc.spec!.secretObjects[0].data).toEqual([
        { objectName: 'DB_USER', key: 'DB_USER' },
        { objectName: 'DB_PASSWORD', key: 'DB_PASSWORD' },
        { objectName: 'secret-1', key: 'SESSION_KEY' },
      ]);
      const pod =
        workload.kind === 'CronJob'
          ? workload.spec!.jobTemplate.spec.template.spec
          : workload.spec!.template.spec;
      expect(pod.serviceAccountName).toBe('shop');
      expect(pod.volumes[0].csi.volumeAttributes.secretProviderClass).toBe(
        'shop-secrets',
      );
      expect(pod.containers[0].volumeMounts[0].name).toBe(pod.volumes[0].name);
    }
    // Without secrets there is nothing to mount.
    expect(
      renderChart(values({ secretEnv: [], secretStore: store })).map(
        m => m.kind,
      ),
    ).toEqual(['Deployment', 'Service', 'Ingress']);
  });

  it('gives a worker no port and no probes, and a cron job its schedule and a restart policy jobs accept', () => {
    const [worker] = renderChart(values({ category: 'worker' }));
    const container = worker.spec!.template.spec.containers[0];
    expect(container).not.toHaveProperty('ports');
    expect(container).not.toHaveProperty('readinessProbe');
    const [cron] = renderChart(values({ category: 'cron-job' }));
    expect(cron.spec).toMatchObject({
      schedule: '0 3 * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: { template: { spec: { restartPolicy: 'OnFailure' } } },
      },
    });
  });

  describe('lint', () => {
    const lint = (mutate: (m: any[]) => void, category = 'web-service') => {
      const manifests: any[] = JSON.parse(
        JSON.stringify(renderChart(values({ category: category as any }))),
      );
      mutate(manifests);
      return lintChart(manifests, 'shop-secrets');
    };

    it('refuses a selector that misses its pods, and a Service that then selects none', () => {
      expect(
        lint(m => {
          m[0].spec.template.metadata.labels['app.kubernetes.io/name'] =
            'other';
        }),
      ).toEqual([
        {
          object: 'Deployment/shop',
          field: 'spec.selector',
          message: 'does not select the labels of its pod template',
        },
        {
          object: 'Service/shop',
          field: 'spec.selector',
          message: 'selects no pods of the chart',
        },
        {
          object: 'Service/shop',
          field: 'spec.ports',
          message: 'targetPort 8080 is no port of the pods it selects',
        },
      ]);
    });

    it('refuses containers without requests or a memory limit, and a served port without readiness', () => {
      const problems = lint(m => {
        const c = m[0].spec.template.spec.containers[0];
        delete c.resources;
        delete c.readinessProbe;
      });
      expect(problems.map(p => p.field)).toEqual([
        'spec.template.spec.containers[0].resources.requests',
        'spec.template.spec.containers[0].resources.limits.memory',
        'spec.template.spec.containers[0].readinessProbe',
      ]);
    });

    it('refuses an ingress that routes to no Service port, and a secret of another app', () => {
      expect(
        lint(m => {
          m[2].spec.rules[0].http.paths[0].backend.service.port.number = 8080;
          m[0].spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.name =
            'billing-secrets';
        }).map(p => `${p.object} ${p.field}: ${p.message}`),
      ).toEqual([
        "Deployment/shop spec.template.spec.containers[0].env[DB_PASSWORD]: reads Secret billing-secrets, not the app's Secret shop-secrets",
        'Ingress/shop spec.rules: shop-dev.apps.example/ routes to shop:8080, which is no Service port of the chart',
      ]);
    });

    it('refuses names and labels Kubernetes refuses, and a job that restarts Always', () => {
      expect(
        lint(m => {
          m[0].metadata.name = 'Shop_1';
          m[0].metadata.labels['konductor.dev/stack'] = `${'x'.repeat(63)}y`;
          m[0].spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
          m[0].spec.schedule = 'every day';
        }, 'cron-job').map(p => p.field),
      ).toEqual([
        'metadata.name',
        'metadata.labels[konductor.dev/stack]',
        'spec.jobTemplate.spec.template.spec.restartPolicy',
        'spec.schedule',
      ]);
    });
  });

  it('knows a cron schedule when it sees one', () => {
    for (const ok of [
      '0 3 * * *',
      '*/15 * * * *',
      '0 9 * * MON-FRI',
      '@hourly',
    ])
      expect(isCronSchedule(ok)).toBe(true);
    for (const bad of ['every day', '0 3 * *', '@sometimes', '0 3 * * * *'])
      expect(isCronSchedule(bad)).toBe(false);
  });
});
