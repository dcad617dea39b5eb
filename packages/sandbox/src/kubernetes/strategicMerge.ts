/**
 * Strategic merge patch as the API server applies it to the kinds the sandbox serves
 * (`application/strategic-merge-patch+json`, what `kubectl apply`, `kubectl set image` and
 * `kubectl patch` send): maps merge, `null` deletes, and a list merges by its merge key (the
 * `patchMergeKey` of the Kubernetes API types: containers and volumes by `name`, container ports
 * by `containerPort`, a Service's ports by `port`, volume mounts by `mountPath`); a list without one
 * is replaced. Directives: `$patch: delete` (of a list element), `$patch: replace` (of a map or a
 * list), `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and `$retainKeys`.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  conditions: 'type',
  finalizers: '',
};

/** The merge key of the list at `field` under `parent`, or undefined: replaced whole. */
function mergeKey(parent: string, field: string): string | undefined {
  if (field === 'ports')
    return ['containers', 'initContainers', 'ephemeralContainers'].includes(
      parent,
    )
      ? 'containerPort'
      : 'port';
  return MERGE_KEYS[field];
}

const isMap = (v: unknown): v is Record<string, any> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

export function strategicMerge(target: any, patch: any, parent = ''): any {
  if (!isMap(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return undefined;
  let out: Record<string, any> = isMap(target) ? { ...target } : {};
  const orders: Record<string, any[]> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders[k.slice('$setElementOrder/'.length)] = v as any[];
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]))
        out[field] = out[field].filter(
          (x: unknown) => !(v as any[]).includes(x),
        );
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(out[k], v, parent, k);
    else if (isMap(v)) {
      const merged = strategicMerge(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  for (const [field, order] of Object.entries(orders))
    out[field] = reorder(out[field], order, mergeKey(parent, field));
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set<string>(patch.$retainKeys);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  return out;
}

function mergeList(
  target: unknown,
  patch: any[],
  parent: string,
  field: string,
) {
  const key = mergeKey(parent, field);
  if (patch.some(x => isMap(x) && x.$patch === 'replace'))
    return patch.filter(x => !(isMap(x) && x.$patch === 'replace'));
  const current = Array.isArray(target) ? [...target] : [];
  // A list of scalars with a merge strategy (finalizers) is a set union.
  if (key === '')
    return [...current, ...patch.filter(x => !current.includes(x))];
  if (!key) return patch;
  for (const item of patch) {
    if (!isMap(item)) continue;
    const i = current.findIndex(x => isMap(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) current.splice(i, 1);
    } else if (i >= 0) current[i] = strategicMerge(current[i], item, field);
    else current.push(strategicMerge(undefined, item, field));
  }
  return current;
}

function reorder(list: unknown, order: any[], key: string | undefined) {
  if (!Array.isArray(list)) return list;
  const id = (x: any) => (key && isMap(x) ? x[key] : x);
  const position = (x: any) => {
    const i = order.findIndex(o => (isMap(o) && key ? o[key] : o) === id(x));
    return i < 0 ? order.length : i;
  };
  return [...list].sort((a, b) => position(a) - position(b));
}
