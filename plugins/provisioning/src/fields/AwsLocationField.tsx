import { useEffect } from 'react';
import {
  coreApis,
  useApi,
  type ConfigApi,
} from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@mui/material/Box';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';

/** An AWS account stacks may be provisioned in, from `konductor.provisioning.accounts`. */
export interface AwsAccountOption {
  accountId: string;
  title: string;
  regions: string[];
}

/** The value: where the stack goes. */
export interface AwsLocation {
  accountId?: string;
  region?: string;
}

/** The AWS accounts and regions `konductor.provisioning.accounts` offers. */
export function awsAccountsOf(config: ConfigApi): AwsAccountOption[] {
  return (
    config.getOptionalConfigArray('konductor.provisioning.accounts') ?? []
  )
    .filter(a => (a.getOptionalString('provider') ?? 'aws') === 'aws')
    .map(a => ({
      accountId: a.getString('accountId'),
      title: a.getOptionalString('title') ?? a.getString('accountId'),
      regions: a.getStringArray('regions'),
    }));
}

/** The accounts and regions config offers. */
export function useAwsAccounts(): AwsAccountOption[] {
  return awsAccountsOf(useApi(coreApis.config));
}

/**
 * `KonductorAwsLocation`: the AWS account and region of a stack, from the accounts the
 * portal is configured with (`konductor.provisioning.accounts`). With one account it is chosen
 * for you. The stack action refuses any other account or region again on the server.
 */
export function AwsLocationField(
  props: FieldExtensionComponentProps<AwsLocation>,
) {
  const { formData, onChange, schema, rawErrors, idSchema } = props;
  const accounts = useAwsAccounts();
  const accountId =
    formData?.accountId ??
    (accounts.length === 1 ? accounts[0].accountId : undefined);
  const account = accounts.find(a => a.accountId === accountId);
  const region =
    formData?.region ??
    (account?.regions.length === 1 ? account.regions[0] : undefined);
  // Fill in single choices so the value is complete without a click.
  const incomplete =
    accountId !== formData?.accountId || region !== formData?.region;
  useEffect(() => {
    if (incomplete) onChange({ accountId, region });
  }, [incomplete, accountId, region, onChange]);
  const error = rawErrors?.[0];
  return (
    <Box sx={{ display: 'flex', gap: 2, my: 1 }}>
      <TextField
        select
        fullWidth
        id={`${idSchema.$id}-account`}
        label={`${schema.title ?? 'AWS'} account`}
        value={accountId ?? ''}
        onChange={e => onChange({ accountId: e.target.value })}
        error={!!error}
        helperText={
          error ??
          (accounts.length
            ? 'The accounts this portal provisions in.'
            : 'No AWS accounts are configured: an admin adds them under konductor.provisioning.accounts.')
        }
      >
        {accounts.map(a => (
          <MenuItem key={a.accountId} value={a.accountId}>
            {a.title} ({a.accountId})
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        fullWidth
        id={`${idSchema.$id}-region`}
        label="Region"
        value={region ?? ''}
        disabled={!account}
        onChange={e => onChange({ accountId, region: e.target.value })}
      >
        {(account?.regions ?? []).map(r => (
          <MenuItem key={r} value={r}>
            {r}
          </MenuItem>
        ))}
      </TextField>
    </Box>
  );
}

/** Client-side: both chosen. (The configured list is checked again by the stack action.) */
export function validateAwsLocation(
  value: AwsLocation | undefined,
  validation: { addError(message: string): void },
) {
  if (!value?.accountId) validation.addError('Choose an AWS account');
  else if (!value.region) validation.addError('Choose a region');
}
