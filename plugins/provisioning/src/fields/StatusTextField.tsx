import TextField from '@mui/material/TextField';

/**
 * A text field whose helper line is what its check found as you type (the name's availability),
 * announced to screen readers as a status.
 */
export function StatusTextField(props: {
  id: string;
  label: string;
  required?: boolean;
  value: string;
  onChange(value: string): void;
  /** Whether what the check found is a problem (the field shows as an error). */
  bad: boolean;
  status: string;
}) {
  const { id, label, required, value, onChange, bad, status } = props;
  return (
    <TextField
      fullWidth
      margin="normal"
      id={id}
      label={label}
      required={required}
      value={value}
      onChange={e => onChange(e.target.value)}
      error={bad}
      helperText={status}
      inputProps={{ 'aria-describedby': `${id}-helper-text` }}
      FormHelperTextProps={{ id: `${id}-helper-text`, role: 'status' }}
    />
  );
}
