import { useCallback, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  EntityDisplayName,
  EntityRefLink,
} from '@backstage/plugin-catalog-react';
import type {
  ApprovalListItem,
  ApprovalState,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { useUrlQuery } from './urlQuery';
import { People } from './People';
import { usd } from '@konductor/plugin-provisioning-common';

const when = (iso: string) => new Date(iso).toLocaleString();

const OPERATIONS: Record<ApprovalListItem['operation'], string> = {
  provision: 'New stack',
  change: 'Change',
  destroy: 'Destroy',
};

/** How a request stands, in words, with who decided it as the catalog presents them. */
function Standing(props: { request: ApprovalListItem }) {
  const r = props.request;
  switch (r.state) {
    case 'pending':
      return <>Waiting, expires {when(r.expiresAt)}</>;
    case 'expired':
      return <>Expired {when(r.expiresAt)}</>;
    case 'withdrawn':
      return (
        <>
          Withdrawn by{' '}
          {r.decidedBy && (
            <EntityDisplayName entityRef={r.decidedBy} hideIcon />
          )}
          , {when(r.decidedAt!)}
        </>
      );
    default:
      return (
        <>
          {r.state === 'approved' ? 'Approved' : 'Rejected'} by{' '}
          {r.decidedBy && (
            <EntityDisplayName entityRef={r.decidedBy} hideIcon />
          )}
          {r.comment ? `: ${r.comment}` : ''}
        </>
      );
  }
}

/**
 * The Approvals inbox: the runs that wait for approval which the user may see (those they asked
 * for, those they may approve), with the plan, cost and compliance verdict; approve or reject with
 * a comment where the permission policy lets them; a requester withdraws their own waiting
 * request. `?state=all` shows the decided ones too.
 */
export function ApprovalsTable() {
  const api = useApi(provisioningApiRef);
  const { values, update } = useUrlQuery(['state'] as const);
  const state = values.state === 'all' ? 'all' : 'pending';
  const [items, setItems] = useState<ApprovalListItem[]>();
  const [error, setError] = useState<Error>();
  const [withdrawing, setWithdrawing] = useState<{
    id?: string;
    error?: Error;
  }>({});
  const [deciding, setDeciding] = useState<{
    request: ApprovalListItem;
    comment: string;
    busy: boolean;
    error?: Error;
  }>();

  const load = useCallback(() => {
    api
      .listApprovals(state === 'all' ? {} : { state: state as ApprovalState })
      .then(r => {
        setItems(r.items);
        setError(undefined);
      }, setError);
  }, [api, state]);
  useEffect(load, [load]);

  const decide = async (decision: 'approve' | 'reject') => {
    if (!deciding) return;
    setDeciding({ ...deciding, busy: true, error: undefined });
    try {
      await api.decideApproval(deciding.request.id, {
        decision,
        comment: deciding.comment,
      });
      setDeciding(undefined);
      load();
    } catch (e) {
      setDeciding({ ...deciding, busy: false, error: e as Error });
    }
  };

  const withdraw = async (request: ApprovalListItem) => {
    setWithdrawing({ id: request.id });
    try {
      await api.withdrawApproval(request.id);
      setWithdrawing({});
      load();
    } catch (e) {
      setWithdrawing({ error: e as Error });
    }
  };

  return (
    <Box sx={{ display: 'grid', gap: 2 }}>
      <ToggleButtonGroup
        exclusive
        size="small"
        value={state}
        aria-label="Which requests"
        onChange={(_, value) =>
          value && update({ state: value === 'all' ? 'all' : '' })
        }
      >
        <ToggleButton value="pending">Waiting</ToggleButton>
        <ToggleButton value="all">All</ToggleButton>
      </ToggleButtonGroup>
      {error && (
        <Alert severity="error">
          The approval requests could not be read: {error.message}
        </Alert>
      )}
      {withdrawing.error && (
        <Alert severity="error">
          The request was not withdrawn: {withdrawing.error.message}
        </Alert>
      )}
      {!items && !error && <LinearProgress aria-label="Loading approvals" />}
      {items && (
        <Paper>
          <Table size="small" aria-label="Approval requests">
            <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
              <TableRow>
                <TableCell>Request</TableCell>
                <TableCell>Plan</TableCell>
                <TableCell align="right">Per month</TableCell>
                <TableCell>Compliance</TableCell>
                <TableCell>Why</TableCell>
                <TableCell>Requested</TableCell>
                <TableCell>State</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {items.length === 0 && (
                <TableRow>
                  <TableCell colSpan={8}>
                    {state === 'pending'
                      ? 'Nothing waits for approval that you asked for or may approve.'
                      : 'No approval requests that you asked for or may approve.'}
                  </TableCell>
                </TableRow>
              )}
              {items.map(r => (
                <TableRow
                  key={r.id}
                  aria-label={`${OPERATIONS[r.operation]} ${r.stackId}`}
                >
                  <TableCell>
                    <strong>
                      {OPERATIONS[r.operation]} {r.stackId}
                    </strong>
                    <Typography variant="body2" color="text.secondary">
                      {r.environment}, <EntityRefLink entityRef={r.owner} />,{' '}
                      {r.accountId}/{r.region}
                    </Typography>
                  </TableCell>
                  <TableCell sx={{ maxWidth: 420 }}>
                    {r.summary.map(line => (
                      <Typography key={line} variant="body2">
                        {line}
                      </Typography>
                    ))}
                  </TableCell>
                  <TableCell align="right">{usd(r.monthlyCost)}</TableCell>
                  <TableCell>
                    {r.compliance
                      ? `${r.compliance.level}: ${
                          r.compliance.allowed
                            ? 'passes'
                            : `${r.compliance.violations} violations`
                        }`
                      : '-'}
                  </TableCell>
                  <TableCell>{r.reasons.join('; ')}</TableCell>
                  <TableCell>
                    <EntityRefLink entityRef={r.requestedBy} />
                    <Typography variant="body2" color="text.secondary">
                      {when(r.requestedAt)}
                    </Typography>
                  </TableCell>
                  <TableCell>
                    <Standing request={r} />
                  </TableCell>
                  <TableCell>
                    {r.state === 'pending' && r.mayDecide && (
                      <Button
                        variant="contained"
                        size="small"
                        sx={{ whiteSpace: 'nowrap' }}
                        onClick={() =>
                          setDeciding({ request: r, comment: '', busy: false })
                        }
                      >
                        Decide
                      </Button>
                    )}
                    {r.state === 'pending' && !r.mayDecide && (
                      <Typography variant="body2" color="text.secondary">
                        Waits for <People refs={r.approvers} joiner=" or " />
                      </Typography>
                    )}
                    {r.state === 'pending' && r.mayWithdraw && (
                      <Button
                        size="small"
                        sx={{ whiteSpace: 'nowrap' }}
                        disabled={withdrawing.id === r.id}
                        aria-label={`Withdraw the request for ${r.stackId}`}
                        onClick={() => withdraw(r)}
                      >
                        Withdraw
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Paper>
      )}
      <Dialog open={!!deciding} onClose={() => setDeciding(undefined)}>
        {deciding && (
          <>
            <DialogTitle>
              {OPERATIONS[deciding.request.operation]}{' '}
              {deciding.request.stackId}
            </DialogTitle>
            <DialogContent sx={{ display: 'grid', gap: 2 }}>
              <Typography>
                Asked by{' '}
                <EntityDisplayName
                  entityRef={deciding.request.requestedBy}
                  hideIcon
                />
                : {deciding.request.reasons.join('; ')}. Approved, the run goes
                on at once; rejected, nothing is created or changed. The
                requester is told either way.
              </Typography>
              <TextField
                label="Comment"
                helperText="Required to reject: the requester reads it"
                multiline
                minRows={2}
                value={deciding.comment}
                onChange={e =>
                  setDeciding({ ...deciding, comment: e.target.value })
                }
              />
              {deciding.error && (
                <Alert severity="error">{deciding.error.message}</Alert>
              )}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setDeciding(undefined)}>Cancel</Button>
              <Button
                color="error"
                disabled={deciding.busy}
                onClick={() => decide('reject')}
              >
                Reject
              </Button>
              <Button
                variant="contained"
                disabled={deciding.busy}
                onClick={() => decide('approve')}
              >
                Approve
              </Button>
            </DialogActions>
          </>
        )}
      </Dialog>
    </Box>
  );
}
