import { createPermission } from '@backstage/plugin-permission-common';
import { z } from 'zod';

/**
 * Publishing a ServiceDefinition or Template to the catalog from a URL (a file in a repository, or
 * a Location listing several): template authors and platform admins, as the policy says. The
 * catalog refuses those kinds from any URL that was not published so, or listed in its config.
 */
export const definitionPublishPermission = createPermission({
  name: 'konductor.definition.publish',
  attributes: { action: 'create' },
});

/** The permission resource type of a publication: its ref is the published URL. */
export const RESOURCE_TYPE_DEFINITION_PUBLICATION = 'konductor-publication';

/**
 * Unpublishing a URL (its definitions and templates leave the catalog, and their forms Create):
 * by default, whoever published it, while a template author, and platform admins.
 */
export const definitionUnpublishPermission = createPermission({
  name: 'konductor.definition.unpublish',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_DEFINITION_PUBLICATION,
});

/** `POST /api/catalog/konductor/publications`: publish (or, with `dryRun`, preview) a URL. */
export const publishRequestSchema = z
  .object({
    target: z
      .string()
      .trim()
      .url(
        'a URL of a YAML file in a repository, such as https://github.com/acme/platform/blob/main/definition.yaml',
      ),
    dryRun: z.boolean().optional(),
  })
  .strict();
/** The body of a publish request. */
export type PublishRequest = z.input<typeof publishRequestSchema>;

/** A URL published by a template author. */
export interface DefinitionPublication {
  target: string;
  /** Entity ref of who published it. */
  publishedBy: string;
  publishedAt: string;
}

/** What a publish request read from the URL: the entities the catalog would hold. */
export interface PublishResult {
  target: string;
  dryRun: boolean;
  /** True when the URL was published already (publishing again refreshes it). */
  existed: boolean;
  entities: Array<{
    kind: string;
    namespace: string;
    name: string;
    title?: string;
  }>;
}
