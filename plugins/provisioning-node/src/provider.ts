import type {
  AnyKindDefinition,
  OutputsOf,
  ResourceKinds,
  SecretSource,
  SpecOf,
  StackResource,
  StackSpec,
  StackTarget,
} from '@konductor/plugin-provisioning-common';
import type { z } from 'zod/v3';

/** Non-secret outputs of a resource: identifiers, endpoints, links. */
export type ResourceOutputs = Record<
  string,
  string | number | boolean | string[]
>;

/** What a removal may delete. */
export interface RemovalScope {
  /**
   * A rollback deletes only what this run created (resources tagged with its id); without it
   * (destroying a stack) everything tagged with the stack and its owner goes.
   */
  createdByRun?: string;
}

/** What a provider is told about the resource it works on. */
export interface ResourceContext<Resource = StackResource> {
  /** The stack; its `owner` is set (the engine refuses a stack without one). */
  spec: StackSpec;
  /** The resource's name in the stack (its kind, for a resource named after its kind). */
  name: string;
  /** The resource's kind and fields, defaults applied. */
  resource: Resource;
  /** `<stack>-<environment>`: the prefix of every cloud resource name. */
  stackId: string;
  /** The run working on the stack: resources it creates carry its id, so a rollback finds them. */
  runId: string;
  /** Set when removing: which resources the removal may delete. */
  removal?: RemovalScope;
  /** Outputs of the resources this one depends on, by name. */
  outputs: Record<string, ResourceOutputs>;
  /**
   * The outputs of the one resource of `definition`'s kind this one depends on, typed by the
   * definition; throws when it depends on none.
   */
  dependency<D extends AnyKindDefinition>(definition: D): OutputsOf<D>;
  /** Aborted when the task is cancelled; providers stop waiting when it is. */
  signal: AbortSignal;
  /** Epoch ms after which waiting gives up (the resource's timeout). */
  deadline: number;
  /** Reports progress of a long operation, for example the cloud state being waited on. */
  progress(detail: string): void;
}

/** What a removal left in place, and why: each entry a sentence naming the cloud resource. */
export interface RemovalResult {
  kept: string[];
}

/**
 * What a drift scan read of a resource: its spec fields as they are in the cloud (only those the
 * kind reads back; a value equal to the spec's where the cloud spells it otherwise, as `16.8` for
 * `16`), or that it is gone or no longer provably this stack's and owner's, with why.
 */
export type Observation =
  | { exists: true; attributes: Record<string, unknown> }
  | { exists: false; detail: string };

/**
 * One kind of resource on one provider: how it is created (or adopted), checked and removed, with
 * the same duties as {@link CloudProvider}'s methods. A provider is a registry of handlers.
 */
export interface ResourceHandler<
  D extends AnyKindDefinition = AnyKindDefinition,
> {
  /**
   * Creates or adopts the resource and waits until it is ready; returns exactly the outputs its
   * kind's definition declares (what references may use).
   */
  create(ctx: ResourceContext<SpecOf<D>>): Promise<OutputsOf<D>>;
  /** Whether the resource that produced `outputs` still exists. */
  exists(
    ctx: ResourceContext<SpecOf<D>>,
    outputs: OutputsOf<D>,
  ): Promise<boolean>;
  /** Deletes what the removal may and waits until it is gone; reports what it kept. */
  destroy(ctx: ResourceContext<SpecOf<D>>): Promise<RemovalResult>;
  /**
   * Refuses a resource it could not create (an InputError saying what to change), before
   * anything of the stack is created; `ctx.outputs` are empty.
   */
  preflight?(ctx: ResourceContext<SpecOf<D>>): void;
  /**
   * Reads the resource as it is now, for a drift scan: one describe call where the cloud allows,
   * never a change. Found by the stack's deterministic names and tags, like `create` and
   * `destroy`; needs no outputs. Kinds without it are reported as not checked.
   */
  observe?(ctx: ResourceContext<SpecOf<D>>): Promise<Observation>;
  /**
   * Returns the resource to what it was at `revision` (one it was delivered at) and waits until it
   * runs so; answers its outputs then. Only kinds delivered by revision (an app through git) have it.
   */
  rollback?(
    ctx: ResourceContext<SpecOf<D>>,
    revision: string,
  ): Promise<OutputsOf<D>>;
  /**
   * Reads one of the secret values its kind declares (`definition.secrets`) for an app that
   * receives it; `outputs` are what its `create` returned. Never logged or returned elsewhere.
   */
  secretValue?(
    ctx: ResourceContext<SpecOf<D>>,
    key: string,
    outputs: OutputsOf<D>,
  ): Promise<string>;
  /**
   * Where one of those values lives in Secrets Manager, for delivery that reads it inside the
   * cluster; undefined for a value the handler composes (a URL with the password in it), which no
   * secret holds as such. Whether it answers depends on `key` alone: a stack is checked with it
   * before anything is created, when `outputs` are still empty.
   */
  secretSource?(
    ctx: ResourceContext<SpecOf<D>>,
    key: string,
    outputs: OutputsOf<D>,
  ): SecretSource | undefined;
}

/**
 * A cloud provider: creates, checks and deletes each kind of stack resource. Implementations must
 * be idempotent: `create` adopts a resource that already exists for this (stack, resource) and
 * owner rather than creating a second, and refuses one of another stack or owner; `destroy`
 * treats an already deleted resource as done, deletes only what `ctx.removal` allows and never
 * switches a protection off to delete something (what it keeps, it reports). AWS is the provider
 * built now; an Azure or GCP provider implements the same interface.
 */
export interface CloudProvider {
  /** What a stack's `target.provider` names. */
  readonly id: string;
  /**
   * Its stacks' target: `provider` its id, its formats of account and region (and any field it
   * adds); stacks are validated by it.
   */
  readonly target: z.ZodType<StackTarget, z.ZodTypeDef, unknown>;
  /** The kinds it can create: stacks are validated and ordered by these. */
  readonly kinds: ResourceKinds;
  /** Creates or adopts `ctx.resource` and waits until it is ready; returns its outputs. */
  create(ctx: ResourceContext): Promise<ResourceOutputs>;
  /** Whether the resource that produced `outputs` still exists (checkpoints are verified with it). */
  exists(ctx: ResourceContext, outputs: ResourceOutputs): Promise<boolean>;
  /**
   * Deletes the resource and waits until it is gone; already gone counts as done. What it may
   * not delete (another owner's, adopted in a rollback, protected) stays and is reported.
   */
  destroy(ctx: ResourceContext): Promise<RemovalResult>;
  /**
   * Refuses a resource it could not create (an InputError saying what to change), before
   * anything of the stack is created; `ctx.outputs` are empty.
   */
  preflight?(ctx: ResourceContext): void;
  /**
   * Reads a resource as it is now (see {@link ResourceHandler}); undefined when its kind reads
   * nothing back on this provider.
   */
  observe?(ctx: ResourceContext): Promise<Observation | undefined>;
  /** Returns a resource to an earlier revision it was delivered at (see {@link ResourceHandler}). */
  rollback?(ctx: ResourceContext, revision: string): Promise<ResourceOutputs>;
}
