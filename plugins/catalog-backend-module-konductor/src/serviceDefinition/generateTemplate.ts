import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { STACK_CHANGE_PARAMETER as CHANGE_PARAMETER } from '@konductor/plugin-provisioning-common';
import type { ServiceDefinitionSpec } from './schema';
import {
  dependencyName,
  EXPIRY_PARAMETER,
  replaceDependencyReferences,
} from './expressions';

/** Annotation on a generated Template: the definition it was generated from. */
export const ANNOTATION_SERVICE_DEFINITION = 'konductor.dev/service-definition';

/** Annotation on provisioned stacks' Systems: the template whose task provisioned them. */
export const ANNOTATION_TEMPLATE = 'konductor.dev/template';

/** `value` with every dependency reference turned into the outputs its step read. */
function readingDependencies<T>(value: T): T {
  if (typeof value === 'string')
    return replaceDependencyReferences(
      value,
      (_, name, resource) =>
        `steps['dependency-${name}'].output.outputs['${resource}']`,
    ) as T;
  if (Array.isArray(value)) return value.map(readingDependencies) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, readingDependencies(v)]),
    ) as T;
  return value;
}

/** Fields whose values are written for machines: entity refs and repository URLs. */
const REF_FIELDS = new Set([
  'OwnerPicker',
  'EntityPicker',
  'OwnedEntityPicker',
  'MyGroupsPicker',
  'RepoUrlPicker',
  'KonductorRepoName',
]);

/** The field that names them on the review step (the provisioning frontend's). */
const REVIEW_NAMES_PARAMETER = 'konductorReviewNames';

/**
 * `pages` with the review showing people's names: each entity or repository field the author left
 * to the review's default is hidden from it, and a `KonductorReviewNames` field on the last page
 * that has one shows it instead, under the field's title, as "Team A" or "acme/shop".
 */
function withReviewNames(pages: JsonObject[]): JsonObject[] {
  const named: Record<string, JsonObject> = {};
  let last = -1;
  const result = pages.map((page, index) => {
    const properties = page.properties as
      | Record<string, JsonObject>
      | undefined;
    if (!properties) return page;
    const fields = Object.entries(properties).filter(
      ([, field]) =>
        REF_FIELDS.has(field['ui:field'] as string) &&
        field.type === 'string' &&
        field['ui:backstage'] === undefined,
    );
    if (!fields.length) return page;
    last = index;
    for (const [key, field] of fields)
      named[key] = { title: (field.title as string) ?? key, type: 'string' };
    return {
      ...page,
      properties: {
        ...properties,
        ...Object.fromEntries(
          fields.map(([key, field]) => [
            key,
            { ...field, 'ui:backstage': { review: { show: false } } },
          ]),
        ),
      },
    };
  });
  const taken = pages.some(
    page => REVIEW_NAMES_PARAMETER in ((page.properties as JsonObject) ?? {}),
  );
  if (last < 0 || taken) return pages;
  result[last] = {
    ...result[last],
    properties: {
      ...(result[last].properties as JsonObject),
      [REVIEW_NAMES_PARAMETER]: {
        title: 'Names on the review',
        type: 'object',
        'ui:field': 'KonductorReviewNames',
        properties: named,
      },
    },
  };
  return result;
}

/**
 * The scaffolder Template (v1beta3) of a valid definition: the definition's form, and steps that
 * fulfil it: skeleton, repository, stack and catalog registration when automated, a Jira ticket
 * when manual. Each dependency adds a field choosing one of its provisioned stacks (the Systems
 * its template made) and a step reading that stack's outputs, which the fulfilment's
 * `dependencies.<name>.<resource>.<output>` expressions read.
 */
export function generateTemplate(
  definition: Entity,
  spec: ServiceDefinitionSpec,
): Entity {
  const { metadata } = definition;
  const pages: JsonObject[] = Array.isArray(spec.parameters)
    ? [...(spec.parameters as JsonObject[])]
    : [
        {
          title: metadata.title ?? metadata.name,
          ...spec.parameters,
        } as JsonObject,
      ];
  const steps: JsonObject[] = [];
  const links: JsonObject[] = [];
  const text: JsonObject[] = [];
  const f = readingDependencies(spec.fulfilment);

  const dependencies = (spec.dependsOn ?? []).map(ref => {
    const name = dependencyName(ref);
    const namespace = ref.match(/:([^/]+)\//)?.[1] ?? 'default';
    return { ref, name, field: `dependency-${name}`, namespace };
  });
  if (dependencies.length) {
    pages.push({
      title: 'Uses',
      description: 'The existing stacks this service builds on.',
      required: dependencies.map(d => d.field),
      properties: Object.fromEntries(
        dependencies.map(d => [
          d.field,
          {
            // private-network -> Private network
            title: `${d.name[0].toUpperCase()}${d.name
              .slice(1)
              .replace(/[-_]/g, ' ')}`,
            description: `A stack provisioned from ${d.ref}.`,
            type: 'string',
            'ui:field': 'EntityPicker',
            'ui:options': {
              allowArbitraryValues: false,
              catalogFilter: {
                kind: 'System',
                [`metadata.annotations.${ANNOTATION_TEMPLATE}`]: `template:${d.namespace}/${d.name}`,
              },
            },
          },
        ]),
      ),
    });
    for (const d of dependencies)
      steps.push({
        id: d.field,
        name: `Read the outputs of ${d.name}`,
        action: 'konductor:stack:outputs',
        input: { stack: `\${{ parameters['${d.field}'] }}` },
      });
  }

  if (f.mode === 'automated' && f.automated.stack) {
    // Set by the stack page's Change (the form filled with the stack's values): the run changes
    // the stack, and keeps the repository and catalog entry its creation made.
    pages[0] = {
      ...pages[0],
      properties: {
        ...(pages[0].properties as JsonObject),
        [CHANGE_PARAMETER]: {
          title: 'Change of an existing stack',
          type: 'boolean',
          'ui:widget': 'hidden',
          'ui:backstage': { review: { show: false } },
        },
      },
    };
    // Every stack the form makes may expire (dev and staging, within the platform's maximum),
    // asked for beside its environment, unless the definition sets its expiry itself.
    const asked = pages.some(
      p => !!(p.properties as JsonObject | undefined)?.[EXPIRY_PARAMETER],
    );
    if (!asked && f.automated.stack.expiresAt === undefined) {
      f.automated.stack.expiresAt = `\${{ parameters.${EXPIRY_PARAMETER} }}`;
      const at = Math.max(
        0,
        pages.findIndex(
          p => !!(p.properties as JsonObject | undefined)?.environment,
        ),
      );
      pages[at] = {
        ...pages[at],
        properties: {
          ...(pages[at].properties as JsonObject),
          [EXPIRY_PARAMETER]: {
            title: 'Expires',
            type: 'string',
            description:
              'When the platform destroys the stack (dev and staging only).',
            'ui:field': 'KonductorStackExpiry',
          },
        },
      };
    }
    // The last page before review: the stack's plan, cost and compliance verdict (the
    // provisioning frontend's field, from a dry-run of the stack step).
    pages.push({
      title: 'Plan and cost',
      properties: {
        konductorStackSummary: {
          title: 'What will be created',
          type: 'string',
          'ui:field': 'KonductorStackSummary',
        },
      },
    });
  }

  if (f.mode === 'automated') {
    const a = f.automated;
    // Steps a change of an existing stack skips: what they made exists.
    const creationOnly = a.stack
      ? { if: `\${{ not parameters.${CHANGE_PARAMETER} }}` }
      : {};
    // With a repository, the stack is reserved first (its gate, its claim, and its approval when
    // the rules ask for one): a refused or waiting stack leaves nothing behind.
    if (a.stack && a.repository)
      steps.push({
        id: 'reserve',
        name: 'Reserve the stack',
        action: 'konductor:stack:reserve',
        input: a.stack as JsonObject,
      });
    if (a.skeleton)
      steps.push({
        id: 'skeleton',
        ...creationOnly,
        name: 'Render the skeleton',
        action: 'fetch:template',
        input: { url: a.skeleton, values: '${{ parameters }}' },
      });
    if (a.repository) {
      steps.push({
        id: 'repo',
        ...creationOnly,
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
        content: '${{ steps.stack.output.monthlyCostText }}',
      });
    }
    if (a.catalogInfoPath) {
      steps.push({
        id: 'register',
        ...creationOnly,
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
      parameters: withReviewNames(pages),
      steps,
      output: { links, ...(text.length ? { text } : {}) },
    },
  };
}
