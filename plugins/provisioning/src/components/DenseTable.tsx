import type { ReactNode } from 'react';
import Box from '@mui/material/Box';
import Table from '@mui/material/Table';

/**
 * A table of many columns made to fit a laptop's screen: small cells with half the usual padding,
 * in a box that scrolls when the screen is narrower still, so the page never scrolls sideways.
 */
export function DenseTable(props: { label: string; children: ReactNode }) {
  return (
    <Box sx={{ overflowX: 'auto' }}>
      <Table
        size="small"
        aria-label={props.label}
        sx={{ '& th, & td': { px: 1 } }}
      >
        {props.children}
      </Table>
    </Box>
  );
}
