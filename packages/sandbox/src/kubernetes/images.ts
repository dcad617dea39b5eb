/**
 * The platform's starter image: a runnable placeholder (HTTP on 8080, `/healthz`) that a new
 * service deploys until its own CI has pushed an image. Every sandbox's registries hold it.
 */
export const STARTER_IMAGE = 'ghcr.io/acme/platform-starter:1';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.?)+(?::\d+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * An image reference in its fully qualified form, as the container runtime resolves it
 * (`nginx` -> `docker.io/library/nginx:latest`), or undefined when it does not parse: the
 * distribution reference grammar (a first component is a registry when it holds a `.` or `:` or
 * is `localhost`; path components are lower case; a tag is at most 128 characters).
 */
export function qualifiedImage(image: string): string | undefined {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) return undefined;
  }
  if (!parts.length || !parts.every(p => COMPONENT.test(p))) return undefined;
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  const name = `${domain}/${parts.join('/')}`;
  if (digest) return `${name}${tag ? `:${tag}` : ''}@${digest}`;
  return `${name}:${tag ?? 'latest'}`;
}

/** Why a container's image does not run, as the kubelet reports it; undefined when it pulls. */
export interface PullFailure {
  reason: 'InvalidImageName' | 'ErrImagePull';
  message: string;
}

/**
 * Whether `image` pulls, and if not the kubelet's reason: a reference that does not parse; one
 * the nodes cannot reach a registry for (`reachable` false: no egress from their subnets); one no
 * registry has (the sandbox's registries hold `images`, qualified).
 */
export function pullFailure(
  image: string,
  images: ReadonlySet<string>,
  reachable: boolean,
): PullFailure | undefined {
  const ref = qualifiedImage(image);
  if (!ref)
    return {
      reason: 'InvalidImageName',
      message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`,
    };
  const cause = `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}"`;
  if (!reachable) {
    const [registry, ...path] = ref.split('@')[0].split('/');
    const [repository, tag] = path.join('/').split(':');
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    return {
      reason: 'ErrImagePull',
      message: `Failed to pull image "${image}": rpc error: code = DeadlineExceeded desc = ${cause}: failed to do request: Head "https://${host}/v2/${repository}/manifests/${
        ref.split('@')[1] ?? tag
      }": dial tcp: i/o timeout`,
    };
  }
  if (images.has(ref)) return undefined;
  return {
    reason: 'ErrImagePull',
    message: `Failed to pull image "${image}": rpc error: code = NotFound desc = ${cause}: ${ref}: not found`,
  };
}

/** The set of images registries hold, qualified; throws on one that does not parse. */
export function registryImages(images: readonly string[]): Set<string> {
  return new Set(
    images.map(image => {
      const ref = qualifiedImage(image);
      if (!ref)
        throw new Error(
          `Sandbox image "${image}" is not a valid image reference`,
        );
      return ref;
    }),
  );
}
