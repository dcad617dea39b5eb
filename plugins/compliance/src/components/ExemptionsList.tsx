import { useCallback, useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { complianceExemptionApprovePermission } from '@konductor/plugin-compliance-common';
import { parseEntityRef } from '@backstage/catalog-model';
import type { Exemption } from '@konductor/plugin-compliance-common';
import { complianceApiRef } from '../api';
import { ExemptionActions } from './ExemptionControls';

/** A person as the catalog presents them (their display name), their ref in its tooltip. */
function Person(props: { entityRef: string }) {
  return <EntityDisplayName entityRef={props.entityRef} hideIcon />;
}

const STATES: Record<Exemption['status'], string> = {
  requested: 'waiting for approval',
  approved: 'waived',
  rejected: 'rejected',
};

/**
 * The dashboard's exemptions: every one not expired (requested, approved or rejected) of the
 * entities the user may read, linking to the entity's compliance tab; each approved or rejected
 * (someone else's request) or withdrawn from here, as the permission framework allows. `waiting`:
 * the Approvals inbox's section, the requests that wait for the user, those they asked for and,
 * for whoever may approve exemptions, every one.
 */
export function ExemptionsList(props: { waiting?: boolean }) {
  const { waiting } = props;
  const api = useApi(complianceApiRef);
  const identity = useApi(identityApiRef);
  const mayApprove = usePermission({
    permission: complianceExemptionApprovePermission,
  });
  const [items, setItems] = useState<Exemption[]>();
  const [error, setError] = useState<Error>();
  const load = useCallback(() => {
    if (waiting && mayApprove.loading) return;
    Promise.all([api.listExemptions(), identity.getBackstageIdentity()]).then(
      ([r, { userEntityRef }]) =>
        setItems(
          r.items
            .filter(e => new Date(e.expiresAt) > new Date())
            .filter(
              e =>
                !waiting ||
                (e.status === 'requested' &&
                  (mayApprove.allowed || e.createdBy === userEntityRef)),
            )
            .reverse(),
        ),
      setError,
    );
  }, [api, identity, waiting, mayApprove.loading, mayApprove.allowed]);
  useEffect(load, [load]);
  // Every request in the inbox waits, and none is approved yet: no state nor approver there.
  const every: {
    header: string;
    cell: (e: Exemption) => React.ReactNode;
    nowrap?: boolean;
    all?: boolean;
  }[] = [
    {
      header: 'Entity',
      cell: e => {
        const ref = parseEntityRef(e.entityRef);
        return (
          <Link
            component={RouterLink}
            to={`/catalog/${ref.namespace}/${ref.kind}/${ref.name}/compliance`}
          >
            <EntityDisplayName entityRef={e.entityRef} hideIcon />
          </Link>
        );
      },
    },
    { header: 'Check', cell: e => e.checkId, nowrap: true },
    {
      header: 'State',
      cell: e => STATES[e.status],
      nowrap: true,
      all: true,
    },
    { header: 'Requested by', cell: e => <Person entityRef={e.createdBy} /> },
    {
      header: 'Decided by',
      cell: e => {
        const by = e.rejectedBy ?? e.approvedBy;
        const comment = e.rejectedBy ? e.rejectionComment : e.approvalComment;
        if (!by) return '–';
        return (
          <>
            <Person entityRef={by} />
            {comment ? `: ${comment}` : ''}
          </>
        );
      },
      all: true,
    },
    {
      header: 'Expires',
      cell: e => new Date(e.expiresAt).toLocaleDateString(),
      nowrap: true,
    },
    { header: 'Justification', cell: e => e.justification },
    {
      header: 'Actions',
      cell: e => <ExemptionActions exemption={e} onChange={load} />,
      nowrap: true,
    },
  ];
  const columns = every.filter(c => !waiting || !c.all);
  return (
    <Paper sx={{ p: 2 }}>
      <Typography variant="h6" component="h2">
        {waiting ? 'Exemption requests' : 'Exemptions'}
      </Typography>
      {error && (
        <Alert severity="error">
          The exemptions could not be read: {error.message}
        </Alert>
      )}
      {items?.length === 0 && (
        <Typography color="text.secondary">
          {waiting
            ? 'No exemption request waits for you.'
            : 'No exemption is waiting, waived or rejected.'}
        </Typography>
      )}
      {!!items?.length && (
        // Wider than its card on a narrow screen: it scrolls, the page does not.
        <Box sx={{ overflowX: 'auto' }}>
          <Table
            size="small"
            aria-label={waiting ? 'Exemption requests' : 'Exemptions'}
          >
            <TableHead>
              <TableRow>
                {columns.map(c => (
                  <TableCell key={c.header} sx={{ whiteSpace: 'nowrap' }}>
                    {c.header}
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {items.map(e => (
                <TableRow key={e.id}>
                  {columns.map(c => (
                    <TableCell
                      key={c.header}
                      // Short values and the buttons on one line.
                      sx={c.nowrap ? { whiteSpace: 'nowrap' } : undefined}
                    >
                      {c.cell(e)}
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </Paper>
  );
}
