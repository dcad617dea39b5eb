import { useState } from 'react';
import {
  scaffolderApiRef,
  type FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import type { ScaffolderApi } from '@backstage/plugin-scaffolder-common';
import { useApi } from '@backstage/frontend-plugin-api';
import { scmIntegrationsApiRef } from '@backstage/integration-react';
import { StatusTextField } from './StatusTextField';
import { useAvailability, type CheckResult } from './useAvailability';
import {
  STACK_CHANGE_PARAMETER,
  repoNameProblem,
} from '@konductor/plugin-provisioning-common';

/** Where the repository goes: fixed by the template author. */
export interface RepoNameOptions {
  host?: string;
  owner?: string;
}

/** `host?owner=o&repo=r`, as RepoUrlPicker writes it and the repository action reads it. */
export const repoUrlOf = (host: string, owner: string, repo: string) =>
  `${host}?owner=${encodeURIComponent(owner)}&repo=${encodeURIComponent(repo)}`;

const repoOf = (repoUrl?: string) =>
  repoUrl ? new URLSearchParams(repoUrl.split('?')[1]).get('repo') ?? '' : '';

/**
 * Asks the scaffolder module's autocomplete provider whether `repoUrl` can be created:
 * `available`, `taken` or `invalid` with the reason; undefined without an autocomplete API.
 */
async function availabilityOf(
  scaffolder: ScaffolderApi | undefined,
  repoUrl: string,
): Promise<CheckResult | undefined> {
  if (!scaffolder?.autocomplete) return undefined;
  const { results } = await scaffolder.autocomplete({
    // The provider reads with the GitHub integration's credentials, not a user token.
    token: 'integration',
    provider: 'konductor',
    resource: 'repository-availability',
    context: { repoUrl },
  });
  const [r] = results;
  return r
    ? {
        state: r.id as 'available' | 'taken' | 'invalid',
        message: r.title ?? r.id,
      }
    : undefined;
}

/**
 * `KonductorRepoName`: the new repository's name, in the owner the template names
 * (`ui:options.owner`) on `ui:options.host` (by default the first GitHub integration's host). As you type it checks GitHub's naming rules
 * and asks the backend whether the name is free (the scaffolder's autocomplete provider
 * `konductor`); its value is the repoUrl the repository action takes, which checks both again.
 * In a change of an existing stack (the stack page's *Change*) it shows the stack's repository,
 * which the change keeps, and cannot be edited.
 */
export function RepoNameField(
  props: FieldExtensionComponentProps<string, RepoNameOptions>,
) {
  const {
    formData,
    onChange,
    uiSchema,
    schema,
    rawErrors,
    required,
    idSchema,
    formContext,
  } = props;
  const kept = !!formContext?.formData?.[STACK_CHANGE_PARAMETER];
  const integrations = useApi(scmIntegrationsApiRef);
  const {
    host = integrations.github.list()[0]?.config.host ?? 'github.com',
    owner = '',
  } = uiSchema['ui:options'] ?? {};
  const scaffolder = useApi(scaffolderApiRef);
  const [name, setName] = useState(repoOf(formData));
  const problem = name ? repoNameProblem(name) : undefined;
  const repoUrl = repoUrlOf(host, owner, name);
  const availability = useAvailability(
    name && !problem && !kept ? repoUrl : undefined,
    async () =>
      (await availabilityOf(scaffolder, repoUrl)) ?? {
        state: 'unknown',
        message: 'Availability is checked when the task runs',
      },
  );

  return (
    <StatusTextField
      id={idSchema.$id}
      label={schema.title ?? 'Repository name'}
      required={required}
      disabled={kept}
      value={name}
      onChange={value => {
        setName(value);
        onChange(value ? repoUrlOf(host, owner, value) : undefined);
      }}
      availability={
        problem ? { state: 'invalid', message: problem } : availability
      }
      hint={
        kept
          ? `${host}/${owner}/${name}: the stack's repository, which a change keeps`
          : `${host}/${owner}/${name || '…'}`
      }
      rawErrors={rawErrors}
    />
  );
}

/** Client-side, before the form moves on: the naming rules and, again, availability. */
export async function validateRepoName(
  value: string | undefined,
  validation: { addError(message: string): void },
  context: {
    apiHolder: { get<T>(ref: { id: string; T: T }): T | undefined };
    formData?: Record<string, unknown>;
  },
) {
  const repo = repoOf(value);
  // A change keeps the stack's repository: it exists, and is not created.
  if (!repo || context.formData?.[STACK_CHANGE_PARAMETER]) return;
  const problem = repoNameProblem(repo);
  if (problem) {
    validation.addError(problem);
    return;
  }
  const answer = await availabilityOf(
    context.apiHolder.get(scaffolderApiRef),
    value!,
  );
  if (answer && answer.state !== 'available')
    validation.addError(answer.message);
}
