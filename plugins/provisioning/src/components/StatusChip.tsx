import Chip from '@mui/material/Chip';
import { colourOf } from './status';

/** A run's or resource's status as a coloured chip. */
export function StatusChip(props: {
  status: string;
  /** The run status whose colour it takes, when `status` is not one (Argo CD's "Synced"). */
  tone?: string;
  size?: 'small' | 'medium';
}) {
  const colour = colourOf(props.tone ?? props.status);
  return (
    <Chip
      label={props.status}
      size={props.size ?? 'small'}
      sx={{
        bgcolor: colour,
        color: '#fff',
        fontWeight: 600,
        textTransform: 'capitalize',
      }}
    />
  );
}
