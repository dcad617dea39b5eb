import Chip from '@mui/material/Chip';
import type { CheckStatus } from '@konductor/plugin-compliance-common';

const COLORS: Record<
  CheckStatus,
  'success' | 'error' | 'default' | 'warning' | 'info'
> = {
  pass: 'success',
  fail: 'error',
  error: 'warning',
  waived: 'info',
  'not-applicable': 'default',
};

const LABELS: Record<CheckStatus, string> = {
  pass: 'Pass',
  fail: 'Fail',
  error: 'Error',
  waived: 'Waived',
  'not-applicable': 'Not applicable',
};

export function StatusChip(props: { status: CheckStatus }) {
  return (
    <Chip
      size="small"
      label={LABELS[props.status]}
      color={COLORS[props.status]}
      variant={props.status === 'not-applicable' ? 'outlined' : 'filled'}
    />
  );
}

/** A score's colour: green from 90, amber from 70, red below. */
export function scoreColor(score: number | null): string {
  if (score === null) return 'text.secondary';
  if (score >= 90) return 'success.main';
  if (score >= 70) return 'warning.main';
  return 'error.main';
}
