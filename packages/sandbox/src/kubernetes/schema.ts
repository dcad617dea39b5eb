import * as k8s from '@kubernetes/client-node';

type Attributes = { baseName: string; type: string }[];

/** The API types of the kinds the sandbox stores, as Kubernetes' own client models them. */
const MODELS: Record<string, string> = {
  Namespace: 'V1Namespace',
  Secret: 'V1Secret',
  ServiceAccount: 'V1ServiceAccount',
  Service: 'V1Service',
  Deployment: 'V1Deployment',
  Ingress: 'V1Ingress',
  CronJob: 'V1CronJob',
};

/** The fields of an API type, from the client's models (generated from Kubernetes' OpenAPI). */
function attributes(type: string): Attributes | undefined {
  const model = (k8s as Record<string, any>)[type];
  return typeof model?.getAttributeTypeMap === 'function'
    ? model.getAttributeTypeMap()
    : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function prune(
  value: unknown,
  type: string,
  path: string,
  unknown: string[],
): unknown {
  const array = /^Array<(.+)>$/.exec(type);
  if (array)
    return Array.isArray(value)
      ? value.map((v, i) => prune(v, array[1], `${path}[${i}]`, unknown))
      : value;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map)
    return isObject(value)
      ? Object.fromEntries(
          Object.entries(value).map(([k, v]) => [
            k,
            prune(v, map[1], `${path}[${k}]`, unknown),
          ]),
        )
      : value;
  const fields = attributes(type);
  if (!fields || !isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = fields.find(f => f.baseName === key);
    const at = path ? `${path}.${key}` : key;
    if (field) out[key] = prune(v, field.type, at, unknown);
    else unknown.push(at);
  }
  return out;
}

/**
 * An object of `kind` without the fields its API type does not have, as the API server decodes it
 * (unknown fields are dropped, never stored), and the paths of those it dropped
 * (`spec.template.spec.containers[0].imagee`), for `fieldValidation` to warn of or refuse.
 */
export function knownFields<T extends object>(
  kind: string,
  object: T,
): { object: T; unknown: string[] } {
  const unknown: string[] = [];
  const type = MODELS[kind];
  if (!type) return { object, unknown };
  return { object: prune(object, type, '', unknown) as T, unknown };
}
