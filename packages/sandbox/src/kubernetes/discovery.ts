/** The kinds the sandbox's Kubernetes API serves, by URL group/version and plural. */
export const KINDS: Record<
  string,
  { kind: string; apiVersion: string; namespaced: boolean }
> = {
  'v1/namespaces': { kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  'v1/secrets': { kind: 'Secret', apiVersion: 'v1', namespaced: true },
  'v1/services': { kind: 'Service', apiVersion: 'v1', namespaced: true },
  'apps/v1/deployments': {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespaced: true,
  },
  'networking.k8s.io/v1/ingresses': {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    namespaced: true,
  },
};

/** The verbs the sandbox serves for its kinds (no watch, no deletecollection). */
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update'];

/** Every resource by group/version, as discovery lists them (pods are read-only here). */
function resources() {
  const byGroupVersion = new Map<string, object[]>();
  const add = (groupVersion: string, resource: object) =>
    byGroupVersion.set(groupVersion, [
      ...(byGroupVersion.get(groupVersion) ?? []),
      resource,
    ]);
  for (const [key, def] of Object.entries(KINDS)) {
    const plural = key.slice(key.lastIndexOf('/') + 1);
    add(def.apiVersion, {
      name: plural,
      singularName: def.kind.toLowerCase(),
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: VERBS,
    });
  }
  add('v1', {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get', 'list'],
  });
  return byGroupVersion;
}

/**
 * The discovery documents standard clients (kubectl, client-go, Helm) read before anything else:
 * `/version`, `/api`, `/api/v1`, `/apis`, `/apis/{group}` and `/apis/{group}/{version}`, for a
 * cluster of Kubernetes `version` (EKS's `1.35`); undefined for any other path.
 */
export function discovery(path: string[], version: string): object | undefined {
  const all = resources();
  const groups = [...all.keys()]
    .filter(gv => gv.includes('/'))
    .map(gv => {
      const [name, v] = gv.split('/');
      const preferred = { groupVersion: gv, version: v };
      return { name, versions: [preferred], preferredVersion: preferred };
    });
  const key = path.join('/');
  if (key === 'version') {
    const [major, minor] = version.split('.');
    return {
      major,
      minor,
      gitVersion: `v${version}.0-eks-sandbox`,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.24.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }
  if (key === 'api')
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [],
    };
  if (key === 'apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  if (path[0] === 'apis' && path.length === 2) {
    const group = groups.find(g => g.name === path[1]);
    return group && { kind: 'APIGroup', apiVersion: 'v1', ...group };
  }
  let groupVersion: string | undefined;
  if (key === 'api/v1') groupVersion = 'v1';
  else if (path[0] === 'apis' && path.length === 3)
    groupVersion = `${path[1]}/${path[2]}`;
  const list = groupVersion && all.get(groupVersion);
  return list
    ? {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion,
        resources: list,
      }
    : undefined;
}
