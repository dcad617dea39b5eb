import TextField from '@mui/material/TextField';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';

/** Which of the form's fields holds the name to type (default `name`). */
export interface TypedConfirmationOptions {
  nameField?: string;
}

const nameFieldOf = (uiSchema: unknown) =>
  ((uiSchema as { 'ui:options'?: TypedConfirmationOptions } | undefined)?.[
    'ui:options'
  ]?.nameField ?? 'name') as string;

/**
 * A destructive request's confirmation: the user types the name of what is destroyed, as it is
 * in the form's name field, before the form goes on.
 */
export function TypedConfirmationField(
  props: FieldExtensionComponentProps<string, TypedConfirmationOptions>,
) {
  const { formData, onChange, idSchema, schema, required, rawErrors } = props;
  const name = (props.formContext?.formData ?? {})[nameFieldOf(props.uiSchema)];
  const errors = rawErrors ?? [];
  return (
    <TextField
      fullWidth
      margin="normal"
      id={idSchema?.$id}
      label={schema.title ?? 'Confirm'}
      required={required}
      value={formData ?? ''}
      autoComplete="off"
      onChange={e => onChange(e.target.value)}
      error={errors.length > 0}
      // The form's error is shown below the field by the scaffolder's field template.
      helperText={
        name
          ? `Type ${name} to confirm. This cannot be undone.`
          : 'Type the name to confirm. This cannot be undone.'
      }
    />
  );
}

/** Refuses the form until the confirmation is the name, exactly. */
export function validateTypedConfirmation(
  value: string | undefined,
  validation: { addError(message: string): void },
  context: { formData: Record<string, unknown>; uiSchema?: unknown },
) {
  const name = context.formData[nameFieldOf(context.uiSchema)];
  if (typeof name !== 'string' || !name) return;
  if (value !== name)
    validation.addError(
      `Type the name, ${name}, exactly as it is written to confirm`,
    );
}
