import Chip from '@mui/material/Chip';
import { colourOf } from './status';

/** A run's or resource's status as a coloured chip. */
export function StatusChip(props: {
  status: string;
  size?: 'small' | 'medium';
}) {
  const colour = colourOf(props.status);
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
