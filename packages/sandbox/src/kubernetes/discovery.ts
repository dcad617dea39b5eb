/** The kinds the sandbox's Kubernetes API serves, by URL group/version and plural. */
export const KINDS: Record<
  string,
  {
    kind: string;
    apiVersion: string;
    namespaced: boolean;
    shortNames?: string[];
    categories?: string[];
    /** A custom resource: served only on clusters where this EKS add-on installed its CRD. */
    installedBy?: string;
  }
> = {
  'v1/namespaces': {
    kind: 'Namespace',
    apiVersion: 'v1',
    namespaced: false,
    shortNames: ['ns'],
  },
  'v1/secrets': { kind: 'Secret', apiVersion: 'v1', namespaced: true },
  'v1/serviceaccounts': {
    kind: 'ServiceAccount',
    apiVersion: 'v1',
    namespaced: true,
    shortNames: ['sa'],
  },
  'v1/services': {
    kind: 'Service',
    apiVersion: 'v1',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
  },
  'apps/v1/deployments': {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
  },
  'batch/v1/cronjobs': {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
  },
  'networking.k8s.io/v1/ingresses': {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    namespaced: true,
    shortNames: ['ing'],
  },
  'secrets-store.csi.x-k8s.io/v1/secretproviderclasses': {
    kind: 'SecretProviderClass',
    apiVersion: 'secrets-store.csi.x-k8s.io/v1',
    namespaced: true,
    installedBy: 'aws-secrets-store-csi-driver-provider',
  },
};

/** Whether the cluster has the EKS add-on of this name running (it installs its CRDs). */
export type Installed = (addon: string) => boolean;

/** The kinds a cluster serves: the built-in ones and the custom ones its add-ons installed. */
export const servedKinds = (installed: Installed) =>
  Object.entries(KINDS).filter(
    ([, def]) => !def.installedBy || installed(def.installedBy),
  );

/** The verbs the sandbox serves for its kinds (no deletecollection). */
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** Every resource by group/version, as discovery lists them (pods, events and ReplicaSets are read-only here). */
function resources(installed: Installed) {
  const byGroupVersion = new Map<string, object[]>();
  const add = (groupVersion: string, resource: object) =>
    byGroupVersion.set(groupVersion, [
      ...(byGroupVersion.get(groupVersion) ?? []),
      resource,
    ]);
  for (const [key, def] of servedKinds(installed)) {
    const plural = key.slice(key.lastIndexOf('/') + 1);
    add(def.apiVersion, {
      name: plural,
      singularName: def.kind.toLowerCase(),
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: VERBS,
      ...(def.shortNames && { shortNames: def.shortNames }),
      ...(def.categories && { categories: def.categories }),
    });
  }
  add('v1', {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
  });
  add('v1', {
    name: 'events',
    singularName: 'event',
    namespaced: true,
    kind: 'Event',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['ev'],
  });
  add('v1', {
    name: 'pods/log',
    singularName: '',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get'],
  });
  add('apps/v1', {
    name: 'replicasets',
    singularName: 'replicaset',
    namespaced: true,
    kind: 'ReplicaSet',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['rs'],
    categories: ['all'],
  });
  return byGroupVersion;
}

/**
 * The discovery documents standard clients (kubectl, client-go, Helm) read before anything else:
 * `/version`, `/api`, `/api/v1`, `/apis`, `/apis/{group}` and `/apis/{group}/{version}`, for a
 * cluster of Kubernetes `version` (EKS's `1.35`), and the OpenAPI v3 index and per group/version
 * documents under `/openapi/v3`; undefined for any other path.
 */
export function discovery(
  path: string[],
  version: string,
  installed: Installed,
): object | undefined {
  const all = resources(installed);
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
  if (path[0] === 'openapi') return openApi(path, installed);
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

const urlPrefix = (groupVersion: string) =>
  groupVersion.includes('/') ? `apis/${groupVersion}` : `api/${groupVersion}`;

/**
 * OpenAPI v3: `/openapi/v3` lists a document per group/version, and each document has the paths
 * of its kinds, every operation tagged with its kind (`x-kubernetes-group-version-kind`) and the
 * API server's query parameters. kubectl reads them to learn that the server validates fields
 * itself (`fieldValidation`); the documents carry no schemas. The sandbox honours the selectors,
 * paging, watch parameters, `dryRun` and `fieldValidation`; not `force`.
 */
function openApi(path: string[], installed: Installed): object | undefined {
  const groupVersions = [...resources(installed).keys()];
  if (path.length === 2 && path[1] === 'v3')
    return {
      paths: Object.fromEntries(
        groupVersions.map(gv => [
          urlPrefix(gv),
          { serverRelativeURL: `/openapi/v3/${urlPrefix(gv)}` },
        ]),
      ),
    };
  const gv = groupVersions.find(
    g => path.slice(2).join('/') === urlPrefix(g) && path[1] === 'v3',
  );
  if (!gv) return undefined;
  const query = (...names: string[]) =>
    names.map(name => ({ name, in: 'query', schema: { type: 'string' } }));
  const paths: Record<string, object> = {};
  for (const [key, def] of servedKinds(installed)) {
    if (def.apiVersion !== gv) continue;
    const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
    const tag = { group, version, kind: def.kind };
    const op = (action: string, params: object[] = []) => ({
      operationId: `${action}${def.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': tag,
      parameters: params,
      responses: { '200': { description: 'OK' } },
    });
    const plural = key.slice(key.lastIndexOf('/') + 1);
    const collection = `/${urlPrefix(gv)}${
      def.namespaced ? '/namespaces/{namespace}' : ''
    }/${plural}`;
    const writes = query('dryRun', 'fieldManager', 'fieldValidation');
    paths[collection] = {
      get: op(
        'list',
        query(
          'labelSelector',
          'fieldSelector',
          'limit',
          'continue',
          'watch',
          'resourceVersion',
          'timeoutSeconds',
          'allowWatchBookmarks',
          'sendInitialEvents',
        ),
      ),
      post: op('post', writes),
    };
    paths[`${collection}/{name}`] = {
      get: op('get'),
      put: op('put', writes),
      patch: op('patch', [...writes, ...query('force')]),
      delete: op('delete', query('dryRun')),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
  };
}
