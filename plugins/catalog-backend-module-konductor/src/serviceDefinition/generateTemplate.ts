import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type { JsonObject, JsonValue } from '@backstage/types';
import type { ServiceDefinitionSpec } from './schema';

/** Annotation on a generated Template: the definition it was generated from. */
export const ANNOTATION_SERVICE_DEFINITION = 'konductor.dev/service-definition';

/**
 * The scaffolder Template (v1beta3) of a valid definition: the definition's form, and steps that
 * fulfil it: skeleton, repository, stack and catalog registration when automated, a Jira ticket
 * when manual.
 */
export function generateTemplate(
  definition: Entity,
  spec: ServiceDefinitionSpec,
): Entity {
  const { metadata } = definition;
  const pages = Array.isArray(spec.parameters)
    ? spec.parameters
    : [{ title: metadata.title ?? metadata.name, ...spec.parameters }];
  const steps: JsonObject[] = [];
  const links: JsonObject[] = [];
  const text: JsonObject[] = [];
  const f = spec.fulfilment;

  if (f.mode === 'automated') {
    const a = f.automated;
    if (a.skeleton)
      steps.push({
        id: 'skeleton',
        name: 'Render the skeleton',
        action: 'fetch:template',
        input: { url: a.skeleton, values: '${{ parameters }}' },
      });
    if (a.repository) {
      steps.push({
        id: 'repo',
        name: 'Create the repository',
        action: 'konductor:github:repo:provision',
        input: a.repository as JsonObject,
      });
      links.push({
        title: 'Repository',
        url: '${{ steps.repo.output.repoUrl }}',
      });
    }
    if (a.stack) {
      steps.push({
        id: 'stack',
        name: 'Provision the stack',
        action: 'konductor:stack:provision',
        input: a.stack as JsonObject,
      });
      links.push({
        title: 'Provisioning run',
        url: '${{ steps.stack.output.runUrl }}',
      });
      text.push({
        title: 'Estimated cost',
        content: '${{ steps.stack.output.monthlyCost }} USD/month',
      });
    }
    if (a.catalogInfoPath) {
      steps.push({
        id: 'register',
        name: 'Register in the catalog',
        action: 'catalog:register',
        input: {
          repoContentsUrl: '${{ steps.repo.output.repoContentsUrl }}',
          catalogInfoPath: a.catalogInfoPath,
        },
      });
      links.push({
        title: 'Open in the catalog',
        icon: 'catalog',
        entityRef: '${{ steps.register.output.entityRef }}',
      });
    }
  } else {
    steps.push({
      id: 'ticket',
      name: 'Request fulfilment from the platform team',
      action: 'konductor:jira:issue:create',
      input: {
        ...(f.manual as JsonObject),
        labels: [...(f.manual.labels ?? []), 'konductor'],
      },
    });
    links.push({
      title: 'Request ticket',
      url: '${{ steps.ticket.output.issueUrl }}',
    });
  }

  const annotations: Record<string, string> = {
    [ANNOTATION_SERVICE_DEFINITION]: stringifyEntityRef(definition),
  };
  // The template's relative paths (the skeleton) resolve against the definition's file.
  for (const key of [ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION]) {
    const value = metadata.annotations?.[key];
    if (value) annotations[key] = value;
  }

  return {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      title: metadata.title ?? metadata.name,
      ...(metadata.description ? { description: metadata.description } : {}),
      tags: [...new Set([...(metadata.tags ?? []), 'konductor', f.mode])],
      annotations,
    },
    spec: {
      owner: spec.owner,
      type: spec.type,
      parameters: pages as unknown as JsonValue,
      steps,
      output: { links, ...(text.length ? { text } : {}) },
    },
  };
}
