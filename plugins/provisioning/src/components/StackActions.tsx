import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { parseEntityRef } from '@backstage/catalog-model';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { scaffolderApiRef } from '@backstage/plugin-scaffolder-react';
import type { JsonObject } from '@backstage/types';
import {
  STACK_CHANGE_PARAMETER,
  parseStackRef,
  type ProvisioningRun,
  type StackKey,
  type StackVersion,
  provisioningStackDestroyPermission,
  provisioningStackUpdatePermission,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';

/** The scaffolder's form of `templateRef`, filled with `values` (it reads `formData`). */
export const templateFormLink = (templateRef: string, values: JsonObject) => {
  const { namespace, name } = parseEntityRef(templateRef);
  return `/create/templates/${namespace}/${name}?${new URLSearchParams({
    formData: JSON.stringify(values),
  })}`;
};

/** The "Destroy a stack" template's form, filled with the stack (the user types its name). */
export const destroyLink = (run: ProvisioningRun) =>
  templateFormLink('template:default/destroy-stack', {
    name: run.stackName,
    environment: run.environment,
    location: { accountId: run.accountId ?? '', region: run.region ?? '' },
  });

/**
 * The change form of a stack's current version: the template whose run made it, that run's values
 * marked as a change, and its steps as the run had them (what *Accept* reads to map an attribute
 * back to its form field).
 */
export interface StackChangeForm {
  templateRef: string;
  values: JsonObject;
  steps: { action: string; input?: JsonObject }[];
}

/**
 * The change form of the run that made the stack's current version. Undefined when the template
 * cannot change a stack (its form has no change parameter) or is gone.
 */
function useChangeForm(run: ProvisioningRun | undefined, allowed: boolean) {
  // A portal without the scaffolder offers no Change.
  const scaffolder = useApiHolder().get(scaffolderApiRef);
  const [form, setForm] = useState<StackChangeForm>();
  useEffect(() => {
    const templateRef = run?.templateRef;
    if (!run || !templateRef || !allowed || !scaffolder) return undefined;
    let stale = false;
    Promise.all([
      scaffolder.getTemplateParameterSchema(templateRef),
      scaffolder.getTask(run.taskId),
    ])
      .then(([schema, task]) => {
        const changes = schema.steps.some(
          step =>
            (step.schema.properties as JsonObject | undefined)?.[
              STACK_CHANGE_PARAMETER
            ] !== undefined,
        );
        if (!stale && changes)
          setForm({
            templateRef,
            values: {
              ...task.spec.parameters,
              [STACK_CHANGE_PARAMETER]: true,
            },
            steps: task.spec.steps,
          });
      })
      // A template or task that is gone offers no Change; Destroy stays.
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [scaffolder, run, allowed]);
  return form;
}

/** Where a stack's *Change* and *Destroy* go, each only where the user is permitted. */
export interface StackActionLinks {
  /** The stack's template, filled with its current values (also what reverts drift). */
  change?: string;
  /** The form behind `change` (what *Accept* fills with the live values). */
  changeForm?: StackChangeForm;
  destroy?: string;
}

/**
 * *Change* and *Destroy* for a stack, each where the user is permitted on it (its owner's
 * members and platform admins by default): each opens a form whose run has its live page, like
 * creation. Nothing until the stack's current version is known.
 */
export function useStackActions(
  stack: StackKey | undefined,
  latest: StackVersion | undefined,
): StackActionLinks {
  const api = useApi(provisioningApiRef);
  const resourceRef =
    stack && `${stack.accountId}/${stack.region}/${stack.stackId}`;
  const update = usePermission({
    permission: provisioningStackUpdatePermission,
    resourceRef,
  });
  const destroy = usePermission({
    permission: provisioningStackDestroyPermission,
    resourceRef,
  });
  const [run, setRun] = useState<ProvisioningRun>();
  const runId = latest?.runId;
  useEffect(() => {
    if (!runId) return undefined;
    let stale = false;
    api
      .getRun(runId)
      .then(details => !stale && setRun(details.run))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [api, runId]);
  const changeForm = useChangeForm(run, !!resourceRef && update.allowed);
  return {
    change:
      changeForm && templateFormLink(changeForm.templateRef, changeForm.values),
    changeForm,
    destroy:
      run && resourceRef && destroy.allowed ? destroyLink(run) : undefined,
  };
}

/** The stack's *Change* and *Destroy* buttons. */
export function StackActions({ links }: { links: StackActionLinks }) {
  if (!links.change && !links.destroy) return null;
  return (
    <Stack direction="row" spacing={1} sx={{ mt: 1, mr: 1 }}>
      {links.change && (
        <Button variant="contained" component={RouterLink} to={links.change}>
          Change
        </Button>
      )}
      {links.destroy && (
        <Button
          variant="outlined"
          color="error"
          component={RouterLink}
          to={links.destroy}
        >
          Destroy
        </Button>
      )}
    </Stack>
  );
}

/**
 * The stack's *Change* and *Destroy* where a run of it is shown (its run page): for the stack's
 * current version, once it has one.
 */
export function CurrentStackActions({ stackRef }: { stackRef: string }) {
  const api = useApi(provisioningApiRef);
  const stack = useMemo(() => parseStackRef(stackRef), [stackRef]);
  const [latest, setLatest] = useState<StackVersion>();
  useEffect(() => {
    if (!stack) return undefined;
    let stale = false;
    api
      .getStackVersions(stack)
      .then(list => !stale && setLatest(list.items[0]))
      // A stack destroyed since, or one the user may not see: nothing to offer.
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [api, stack]);
  return <StackActions links={useStackActions(stack, latest)} />;
}
