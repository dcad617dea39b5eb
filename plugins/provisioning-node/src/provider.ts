import type {
  ResourceKind,
  StackSpec,
} from '@konductor/plugin-provisioning-common';

/** Non-secret outputs of a resource: identifiers, endpoints, links. */
export type ResourceOutputs = Record<
  string,
  string | number | boolean | string[]
>;

/** What a provider is told about the resource it works on. */
export interface ResourceContext {
  spec: StackSpec;
  /** `<stack>-<environment>`: the prefix of every cloud resource name. */
  stackId: string;
  /** Outputs of the resources this one depends on. */
  outputs: Partial<Record<ResourceKind, ResourceOutputs>>;
  /** Aborted when the task is cancelled; providers stop waiting when it is. */
  signal: AbortSignal;
  /** Epoch ms after which waiting gives up (the resource's timeout). */
  deadline: number;
  /** Reports progress of a long operation, for example the cloud state being waited on. */
  progress(detail: string): void;
}

/**
 * A cloud provider: creates, checks and deletes each kind of stack resource. Implementations must
 * be idempotent: `create` adopts a resource that already exists for this (stack, resource) rather
 * than creating a second, and `destroy` treats an already deleted resource as done. AWS is the
 * provider built now; an Azure or GCP provider implements the same interface.
 */
export interface CloudProvider {
  readonly id: string;
  /** Creates or adopts the resource and waits until it is ready; returns its outputs. */
  create(kind: ResourceKind, ctx: ResourceContext): Promise<ResourceOutputs>;
  /** Whether the resource that produced `outputs` still exists (checkpoints are verified with it). */
  exists(
    kind: ResourceKind,
    ctx: ResourceContext,
    outputs: ResourceOutputs,
  ): Promise<boolean>;
  /** Deletes the resource and waits until it is gone; already gone counts as done. */
  destroy(kind: ResourceKind, ctx: ResourceContext): Promise<void>;
}
