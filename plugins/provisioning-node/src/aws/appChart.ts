import {
  app,
  type ChartValues,
  type OutputsOf,
  resolveReferences,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type { ResourceContext } from '../provider';

/**
 * The values an app's chart is rendered with, from its spec and the outputs it references (its
 * Secret's keys by name: their values never enter the chart), and the outputs the app will have.
 */
export function appChart(
  ctx: ResourceContext<SpecOf<typeof app>>,
  host: string,
  extra: Partial<ChartValues> = {},
): { values: ChartValues; outputs: OutputsOf<typeof app> } {
  const spec = ctx.resource;
  const name = ctx.spec.name;
  // A domain resource gives the app a name of its own, served with its ACM certificate.
  const domain = spec.domain ? ctx.outputs[spec.domain] : undefined;
  const hosts = domain ? [host, String(domain.fqdn)] : [host];
  const outputs: OutputsOf<typeof app> = { namespace: ctx.stackId };
  if (spec.category === 'web-service')
    outputs.url = `${spec.tls ? 'https' : 'http'}://${hosts[hosts.length - 1]}`;
  if (spec.category === 'api')
    outputs.url = `http://${name}.${ctx.stackId}.svc.cluster.local`;
  return {
    values: {
      category: spec.category,
      name,
      namespace: ctx.stackId,
      stack: ctx.stackId,
      image: spec.image,
      replicas: spec.replicas,
      cpu: spec.cpu,
      memory: spec.memory,
      port: spec.port,
      healthCheckPath: spec.healthCheckPath,
      env: Object.fromEntries(
        Object.entries(spec.env).map(([variable, value]) => [
          variable,
          resolveReferences(value, ctx.outputs),
        ]),
      ),
      secretEnv: Object.keys(spec.secretEnv),
      secretName: `${name}-secrets`,
      hosts,
      tls: spec.tls,
      certificateArn: domain ? String(domain.arn) : undefined,
      schedule: spec.schedule,
      ...extra,
    },
    outputs,
  };
}
