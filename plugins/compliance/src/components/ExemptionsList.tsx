import { useCallback, useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type { Exemption } from '@konductor/plugin-compliance-common';
import { complianceApiRef } from '../api';
import { ExemptionActions } from './ExemptionControls';

/**
 * The dashboard's exemptions: every one not expired, requested or approved, of the entities the
 * user may read, linking to the entity's compliance tab; each approved (someone else's request)
 * or withdrawn from here, as the permission framework allows.
 */
export function ExemptionsList() {
  const api = useApi(complianceApiRef);
  const [items, setItems] = useState<Exemption[]>();
  const [error, setError] = useState<Error>();
  const load = useCallback(() => {
    api
      .listExemptions()
      .then(
        r =>
          setItems(
            r.items.filter(e => new Date(e.expiresAt) > new Date()).reverse(),
          ),
        setError,
      );
  }, [api]);
  useEffect(load, [load]);
  return (
    <Paper sx={{ p: 2 }}>
      <Typography variant="h6" component="h2">
        Exemptions
      </Typography>
      {error && (
        <Alert severity="error">
          The exemptions could not be read: {error.message}
        </Alert>
      )}
      {items?.length === 0 && (
        <Typography color="text.secondary">
          No check is waived or waiting for an exemption.
        </Typography>
      )}
      {!!items?.length && (
        <Table
          size="small"
          aria-label="Exemptions"
          sx={{
            // Short values and the buttons on one line; refs and reasons wrap.
            '& td:nth-of-type(3), & td:nth-of-type(6), & td:nth-of-type(8)': {
              whiteSpace: 'nowrap',
            },
          }}
        >
          <TableHead>
            <TableRow>
              <TableCell>Entity</TableCell>
              <TableCell>Check</TableCell>
              <TableCell>State</TableCell>
              <TableCell>Requested by</TableCell>
              <TableCell>Approved by</TableCell>
              <TableCell>Expires</TableCell>
              <TableCell>Justification</TableCell>
              <TableCell>Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {items.map(e => {
              const ref = parseEntityRef(e.entityRef);
              return (
                <TableRow key={e.id}>
                  <TableCell>
                    <Link
                      component={RouterLink}
                      to={`/catalog/${ref.namespace}/${ref.kind}/${ref.name}/compliance`}
                    >
                      {e.entityRef}
                    </Link>
                  </TableCell>
                  <TableCell>{e.checkId}</TableCell>
                  <TableCell>
                    {e.status === 'approved'
                      ? 'waived'
                      : 'waiting for approval'}
                  </TableCell>
                  <TableCell>{e.createdBy}</TableCell>
                  <TableCell>{e.approvedBy ?? '–'}</TableCell>
                  <TableCell>
                    {new Date(e.expiresAt).toLocaleDateString()}
                  </TableCell>
                  <TableCell>{e.justification}</TableCell>
                  <TableCell>
                    <ExemptionActions exemption={e} onChange={load} />
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </Paper>
  );
}
