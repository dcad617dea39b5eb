import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { usd, PRICES } from '@konductor/plugin-provisioning-common';

/** What a size picker offers: database instance classes or cluster node types. */
export type SizeKind = 'database' | 'cluster';

/** The sizes of `kind`, cheapest first, with their monthly on-demand price. */
export function sizeOptions(kind: SizeKind) {
  const hourly =
    kind === 'database' ? PRICES.rdsInstanceHourly : PRICES.ec2InstanceHourly;
  return Object.entries(hourly)
    .map(([size, price]) => ({
      size,
      monthly: Math.round(price * PRICES.hoursPerMonth * 100) / 100,
    }))
    .sort((a, b) => a.monthly - b.monthly || a.size.localeCompare(b.size));
}

/**
 * `KonductorInstanceSize`: a database instance class (`ui:options.kind: database`) or cluster
 * node type (`kind: cluster`), each option with its monthly price. The stack action refuses a
 * size without a price again on the server.
 */
export function InstanceSizeField(
  props: FieldExtensionComponentProps<string, { kind?: SizeKind }>,
) {
  const {
    formData,
    onChange,
    schema,
    uiSchema,
    rawErrors,
    required,
    idSchema,
  } = props;
  const kind = uiSchema['ui:options']?.kind ?? 'database';
  const options = sizeOptions(kind);
  const unit = kind === 'database' ? 'instance' : 'node';
  return (
    <TextField
      select
      fullWidth
      margin="normal"
      id={idSchema.$id}
      label={schema.title ?? 'Size'}
      required={required}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value)}
      error={!!rawErrors?.length}
      helperText={
        rawErrors?.[0] ??
        `${
          schema.description ?? ''
        } On-demand price per ${unit}, before storage and traffic.`.trim()
      }
    >
      {options.map(o => (
        <MenuItem key={o.size} value={o.size}>
          {o.size}: {usd(o.monthly)}/month
        </MenuItem>
      ))}
    </TextField>
  );
}

/** Client-side: a size the price list knows. */
export function validateInstanceSize(
  value: string | undefined,
  validation: { addError(message: string): void },
  context: { uiSchema?: { 'ui:options'?: { kind?: SizeKind } } },
) {
  const kind = context.uiSchema?.['ui:options']?.kind ?? 'database';
  if (value && !sizeOptions(kind).some(o => o.size === value))
    validation.addError(
      `${value} has no price: choose one of ${sizeOptions(kind)
        .map(o => o.size)
        .join(', ')}`,
    );
}
