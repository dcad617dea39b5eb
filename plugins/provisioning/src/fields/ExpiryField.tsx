import { useEffect } from 'react';
import TextField from '@mui/material/TextField';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  type ExpiryPolicy,
  STACK_CHANGE_PARAMETER,
  expiryRefusal,
} from '@konductor/plugin-provisioning-common';
import { expiryPolicyOf, fromLocalInput, toLocalInput } from './expiry';

type Values = Record<string, unknown> | undefined;

/** What the field says under itself: the default, the maximum, and that prod never expires. */
function helpOf(policy: ExpiryPolicy, environment: unknown, change: boolean) {
  if (change)
    return "A change keeps the stack's expiry: use Extend on the stack's page to move it.";
  if (environment === 'prod') return 'Prod stacks never expire.';
  const empty =
    policy.defaultDays === undefined
      ? 'Empty: the stack does not expire.'
      : `Empty: it expires ${policy.defaultDays} days after it is created.`;
  return `When the stack is destroyed on its own (its owners are told a day and an hour before). ${empty} At most ${policy.maxDays} days ahead.`;
}

/**
 * A new stack's expiry, in the browser's time zone, as an ISO date-time: disabled (and empty) for
 * prod and for a change, which keeps the stack's expiry.
 */
export function ExpiryField(props: FieldExtensionComponentProps<string>) {
  const { formData, onChange, idSchema, schema, rawErrors } = props;
  const form = (props.formContext?.formData ?? {}) as Record<string, unknown>;
  const policy = expiryPolicyOf(useApi(coreApis.config));
  const change = form[STACK_CHANGE_PARAMETER] === true;
  const prod = form.environment === 'prod';
  const disabled = change || prod;
  // A prod stack never carries an expiry, even one typed before the environment changed.
  useEffect(() => {
    if (prod && formData) onChange(undefined);
  }, [prod, formData, onChange]);
  return (
    <TextField
      fullWidth
      margin="normal"
      type="datetime-local"
      id={idSchema?.$id}
      label={schema.title ?? 'Expires'}
      InputLabelProps={{ shrink: true }}
      inputProps={{ step: 1 }}
      value={disabled ? '' : toLocalInput(formData)}
      disabled={disabled}
      onChange={e => onChange(fromLocalInput(e.target.value))}
      error={(rawErrors ?? []).length > 0}
      helperText={helpOf(policy, form.environment, change)}
    />
  );
}

/** Refuses an expiry the platform would refuse: past, beyond its maximum, or for a prod stack. */
export function validateExpiry(
  value: string | undefined,
  validation: { addError(message: string): void },
  context: {
    apiHolder: { get<T>(ref: { id: string; T: T }): T | undefined };
    formData?: Values;
  },
) {
  const form = context.formData ?? {};
  if (!value || form[STACK_CHANGE_PARAMETER] === true) return;
  const config = context.apiHolder.get(coreApis.config);
  const refusal = expiryRefusal(
    (form.environment as 'dev' | 'staging' | 'prod') ?? 'dev',
    value,
    config ? expiryPolicyOf(config) : { maxDays: 30 },
  );
  if (refusal) validation.addError(refusal);
}
