import TextField from '@mui/material/TextField';
import type { Availability } from './useAvailability';

/**
 * A name field whose helper line is what its check found as you type (the name's availability),
 * announced to screen readers as a status, else `hint`. The form's own errors are shown below
 * the field by the scaffolder's field template (until the form validates again); the helper
 * line does not repeat one, and a name changed since shows what the check found about it.
 */
export function StatusTextField(props: {
  id: string;
  label: string;
  required?: boolean;
  disabled?: boolean;
  value: string;
  onChange(value: string): void;
  availability?: Availability;
  hint: string;
  rawErrors?: string[];
}) {
  const { id, label, required, disabled, value, onChange, availability, hint } =
    props;
  const errors = props.rawErrors ?? [];
  let status = hint;
  if (availability?.state === 'checking') status = 'Checking availability…';
  else if (availability) status = availability.message;
  return (
    <TextField
      fullWidth
      margin="normal"
      id={id}
      label={label}
      required={required}
      disabled={disabled}
      value={value}
      onChange={e => onChange(e.target.value)}
      error={
        // What the check found about the name as typed now; the form's errors (from its last
        // validation, kept until the next) until the check has answered.
        availability && availability.state !== 'checking'
          ? availability.state === 'taken' || availability.state === 'invalid'
          : errors.length > 0
      }
      helperText={errors.includes(status) ? undefined : status}
      inputProps={{ 'aria-describedby': `${id}-helper-text` }}
      FormHelperTextProps={{ id: `${id}-helper-text`, role: 'status' }}
    />
  );
}
