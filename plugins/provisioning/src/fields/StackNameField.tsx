import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { entityPresentationApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { StatusTextField } from './StatusTextField';
import { useAvailability, type CheckResult } from './useAvailability';
import {
  ENVIRONMENTS,
  ProvisioningClient,
  STACK_CHANGE_PARAMETER,
  stackClaimRequestSchema,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import {
  awsAccountsOf,
  useAwsAccounts,
  type AwsAccountOption,
} from './AwsLocationField';

/**
 * Where the name is checked: the form's fields holding the environment, the owner and the AWS
 * location (a `KonductorAwsLocation`), or a fixed account and region the template names.
 */
export interface StackNameOptions {
  /** Default `environment`. */
  environmentField?: string;
  /** Default `owner`. */
  ownerField?: string;
  /** Default `location`. */
  locationField?: string;
  accountId?: string;
  region?: string;
}

type Values = Record<string, any>;

/** The stack the name would make, from the form's other values (environment `dev` until chosen). */
function stackOf(
  name: string,
  values: Values,
  options: StackNameOptions,
  accounts: AwsAccountOption[],
) {
  const location = values[options.locationField ?? 'location'] ?? {};
  const accountId =
    options.accountId ??
    location.accountId ??
    (accounts.length === 1 ? accounts[0].accountId : undefined);
  const account = accounts.find(a => a.accountId === accountId);
  return {
    name,
    environment: (values[options.environmentField ?? 'environment'] ??
      'dev') as (typeof ENVIRONMENTS)[number],
    owner: values[options.ownerField ?? 'owner'] as string | undefined,
    accountId,
    region:
      options.region ??
      location.region ??
      (account?.regions.length === 1 ? account.regions[0] : undefined),
  };
}

/** Why `name` cannot name a stack, or undefined. */
function nameProblem(name: string): string | undefined {
  const parsed = stackClaimRequestSchema.shape.name.safeParse(name);
  return parsed.success ? undefined : parsed.error.issues[0].message;
}

/**
 * Asks the provisioning backend whether the stack (its name valid) can be had by its owner;
 * `nameOf` names the owner as the catalog presents it (the backend's refusals come named).
 */
async function check(
  client: Pick<ProvisioningClient, 'stackAvailability'>,
  stack: ReturnType<typeof stackOf>,
  change: boolean,
  nameOf: (ref: string) => Promise<string> = async ref => ref,
): Promise<CheckResult> {
  if (!stack.accountId || !stack.region)
    return {
      state: 'unknown',
      message:
        'Availability is checked once the AWS account and region are chosen',
    };
  const answer = await client.stackAvailability({
    accountId: stack.accountId,
    region: stack.region,
    name: stack.name,
    environment: stack.environment,
    owner: stack.owner,
  });
  if (!answer.available)
    return { state: 'taken', message: answer.reason ?? 'Not available' };
  if (change && !answer.owner)
    return {
      state: 'taken',
      message: `${answer.stackId} does not exist: a change applies to the stack it was opened for; keep its name, environment and AWS location`,
    };
  return {
    state: 'available',
    message: answer.owner
      ? `${answer.stackId} is ${await nameOf(answer.owner)}'s: this changes it`
      : `${answer.stackId} is available${
          stack.owner ? ` for ${await nameOf(stack.owner)}` : ''
        }`,
  };
}

/**
 * `KonductorStackName`: the stack's name. As you type it checks the naming rules and asks the
 * provisioning backend whether the stack (name and environment, in the chosen AWS account and
 * region) is free or already the chosen owner's; a name another group owns is refused with the
 * owner's name. The stack action claims the stack again, on the server, before anything is
 * created. In a change of an existing stack (the stack page's *Change*) the name is the stack's
 * and cannot be edited, and a stack that does not exist (another environment or location) is
 * refused: a change never creates a stack.
 */
export function StackNameField(
  props: FieldExtensionComponentProps<string, StackNameOptions>,
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
  const client = useApi(provisioningApiRef);
  const presentation = useApi(entityPresentationApiRef);
  const accounts = useAwsAccounts();
  const options = uiSchema['ui:options'] ?? {};
  const values: Values = formContext?.formData ?? {};
  const change = !!values[STACK_CHANGE_PARAMETER];
  const name = formData ?? '';
  const stack = stackOf(name, values, options, accounts);
  const problem = name ? nameProblem(name) : undefined;
  const availability = useAvailability(
    name && !problem ? JSON.stringify(stack) : undefined,
    () =>
      check(client, stack, change, ref =>
        presentation.forEntity(ref).promise.then(
          p => p.primaryTitle,
          () => ref,
        ),
      ),
  );

  return (
    <StatusTextField
      id={idSchema.$id}
      label={schema.title ?? 'Stack name'}
      required={required}
      disabled={change}
      value={name}
      onChange={value => onChange(value || undefined)}
      availability={
        problem ? { state: 'invalid', message: problem } : availability
      }
      hint={schema.description ?? ''}
      rawErrors={rawErrors}
    />
  );
}

/** Client-side, before the form moves on: the naming rules and, again, availability. */
export async function validateStackName(
  value: string | undefined,
  validation: { addError(message: string): void },
  context: {
    apiHolder: { get<T>(ref: { id: string; T: T }): T | undefined };
    formData?: Values;
    uiSchema?: { 'ui:options'?: StackNameOptions };
  },
) {
  if (!value) return;
  const problem = nameProblem(value);
  if (problem) {
    validation.addError(problem);
    return;
  }
  const client = context.apiHolder.get(provisioningApiRef);
  const config = context.apiHolder.get(coreApis.config);
  if (!client || !config) return;
  const answer = await check(
    client,
    stackOf(
      value,
      context.formData ?? {},
      context.uiSchema?.['ui:options'] ?? {},
      awsAccountsOf(config),
    ),
    !!context.formData?.[STACK_CHANGE_PARAMETER],
  ).catch(() => undefined);
  if (answer?.state === 'taken') validation.addError(answer.message);
}
