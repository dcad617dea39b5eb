import { useCallback, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  APPROVAL_OPERATIONS,
  ENVIRONMENTS,
  provisioningChangeWindowUpdatePermission,
  type ChangeWindow,
  type ChangeWindowDeclaration,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { People } from './People';

/** The form of a freeze: times as the browser's `datetime-local` gives them, in local time. */
type Draft = {
  description: string;
  environments: string[];
  operations: string[];
  from: string;
  to: string;
  approvers: string;
};

/** `datetime-local`'s value (local time, to the minute) of a time. */
function localInput(t: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(
    t.getHours(),
  )}:${pad(t.getMinutes())}`;
}

/** A freeze from now for a day, in prod. */
function newDraft(): Draft {
  const now = new Date();
  now.setSeconds(0, 0);
  return {
    description: '',
    environments: ['prod'],
    operations: [],
    from: localInput(now),
    to: localInput(new Date(now.getTime() + 86_400_000)),
    approvers: '',
  };
}

/** A local time as ISO 8601; left as typed when it is no time (the backend says what is wrong). */
function isoOf(local: string): string {
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? local : t.toISOString();
}

const declarationOf = (d: Draft): ChangeWindowDeclaration =>
  ({
    description: d.description,
    environments: d.environments,
    ...(d.operations.length ? { operations: d.operations } : {}),
    from: isoOf(d.from),
    to: isoOf(d.to),
    approvers: d.approvers
      .split(/[\s,]+/)
      .map(a => a.trim())
      .filter(Boolean),
  } as ChangeWindowDeclaration);

/** When a window holds runs: a dated one's times in local time, a weekly one in its words. */
function when(w: ChangeWindow): string {
  return w.from && w.to
    ? `${new Date(w.from).toLocaleString()} until ${new Date(
        w.to,
      ).toLocaleString()}`
    : `every ${w.when}`;
}

/**
 * The change windows (freezes) that have not ended, config's and those declared in the portal:
 * while one lasts, runs it covers wait for its approvers. Platform admins declare and withdraw
 * freezes here.
 */
export function ChangeWindowsTable() {
  const api = useApi(provisioningApiRef);
  const { allowed: mayEdit } = usePermission({
    permission: provisioningChangeWindowUpdatePermission,
  });
  const [items, setItems] = useState<ChangeWindow[]>();
  const [error, setError] = useState<Error>();
  const [draft, setDraft] = useState<Draft>();
  const [saving, setSaving] = useState<{ error?: Error; busy: boolean }>({
    busy: false,
  });

  const load = useCallback(() => {
    api.listChangeWindows().then(r => {
      setItems(r.items);
      setError(undefined);
    }, setError);
  }, [api]);
  useEffect(load, [load]);

  const close = () => {
    setDraft(undefined);
    setSaving({ busy: false });
  };
  const submit = async (action: () => Promise<unknown>) => {
    setSaving({ busy: true });
    try {
      await action();
      close();
      load();
    } catch (e) {
      setSaving({ busy: false, error: e as Error });
    }
  };
  const field =
    (name: keyof Draft) =>
    (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const value = e.target.value as string | string[];
      setDraft(
        d =>
          d && {
            ...d,
            [name]:
              typeof value === 'string' &&
              (name === 'environments' || name === 'operations')
                ? value.split(',')
                : value,
          },
      );
    };
  const active = items?.filter(w => w.active) ?? [];

  return (
    <Box sx={{ display: 'grid', gap: 2 }}>
      {error && (
        <Alert severity="error">
          The change windows could not be read: {error.message}
        </Alert>
      )}
      {active.map(w => (
        <Alert key={w.id} severity="warning" aria-label="Freeze in force">
          {w.description}:{' '}
          {(w.environments ?? ['every environment']).join(', ')}{' '}
          {w.to ? `until ${new Date(w.to).toLocaleString()}` : `(${w.when})`}.
          Runs there wait for <People refs={w.approvers} joiner=" or " />: an
          emergency change only.
        </Alert>
      ))}
      {mayEdit && (
        <Box>
          <Button variant="contained" onClick={() => setDraft(newDraft())}>
            Declare a freeze
          </Button>
        </Box>
      )}
      {!items && !error && (
        <LinearProgress aria-label="Loading change windows" />
      )}
      {items && (
        <Paper>
          <Table size="small" aria-label="Change windows">
            <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
              <TableRow>
                <TableCell>Window</TableCell>
                <TableCell>Covers</TableCell>
                <TableCell>When</TableCell>
                <TableCell>Emergency approvers</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Declared by</TableCell>
                {mayEdit && <TableCell />}
              </TableRow>
            </TableHead>
            <TableBody>
              {items.length === 0 && (
                <TableRow>
                  <TableCell colSpan={7}>
                    No change window: runs wait only where an approval rule says
                    so.
                  </TableCell>
                </TableRow>
              )}
              {items.map(w => (
                <TableRow key={w.id}>
                  <TableCell sx={{ minWidth: 140 }}>{w.description}</TableCell>
                  <TableCell sx={{ minWidth: 130 }}>
                    {w.environments?.join(', ') ?? 'every environment'}:{' '}
                    {w.operations?.join(', ') ?? 'every operation'}
                  </TableCell>
                  <TableCell sx={{ minWidth: 170 }}>{when(w)}</TableCell>
                  <TableCell>
                    <People refs={w.approvers} joiner=", " />
                  </TableCell>
                  <TableCell>
                    {w.active ? (
                      <Chip size="small" color="warning" label="In force" />
                    ) : (
                      <Chip size="small" variant="outlined" label="To come" />
                    )}
                  </TableCell>
                  <TableCell sx={{ minWidth: 150 }}>
                    {w.source === 'portal' ? (
                      <>
                        <EntityDisplayName entityRef={w.declaredBy!} hideIcon />
                        , {new Date(w.declaredAt!).toLocaleString()}
                      </>
                    ) : (
                      'config'
                    )}
                  </TableCell>
                  {mayEdit && (
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>
                      {w.source === 'portal' && (
                        <Button
                          size="small"
                          aria-label={`Withdraw ${w.description}`}
                          disabled={saving.busy}
                          onClick={() =>
                            submit(() => api.withdrawChangeWindow(w.id))
                          }
                        >
                          Withdraw
                        </Button>
                      )}
                    </TableCell>
                  )}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Paper>
      )}
      {!draft && saving.error && (
        <Alert severity="error">{saving.error.message}</Alert>
      )}
      <Dialog open={!!draft} onClose={close} aria-labelledby="freeze-title">
        <DialogTitle id="freeze-title">Declare a freeze</DialogTitle>
        {draft && (
          <DialogContent sx={{ display: 'grid', gap: 2, pt: 1, minWidth: 460 }}>
            <TextField
              label="Why"
              helperText="What the requester and approvers read, such as Year-end release freeze"
              value={draft.description}
              onChange={field('description')}
              sx={{ mt: 1 }}
            />
            <TextField
              select
              label="Environments"
              value={draft.environments}
              onChange={field('environments')}
              SelectProps={{ multiple: true }}
            >
              {ENVIRONMENTS.map(e => (
                <MenuItem key={e} value={e}>
                  {e}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              select
              label="Operations"
              helperText="None chosen: every operation"
              value={draft.operations}
              onChange={field('operations')}
              SelectProps={{ multiple: true }}
            >
              {APPROVAL_OPERATIONS.map(o => (
                <MenuItem key={o} value={o}>
                  {o}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              type="datetime-local"
              label="From"
              value={draft.from}
              onChange={field('from')}
              InputLabelProps={{ shrink: true }}
            />
            <TextField
              type="datetime-local"
              label="Until"
              value={draft.to}
              onChange={field('to')}
              InputLabelProps={{ shrink: true }}
            />
            <TextField
              label="Emergency approvers"
              helperText="Who may let a change through: entity refs, such as group:default/platform-team, or owner"
              value={draft.approvers}
              onChange={field('approvers')}
            />
            {saving.error && (
              <Alert severity="error">{saving.error.message}</Alert>
            )}
          </DialogContent>
        )}
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="contained"
            disabled={saving.busy}
            onClick={() =>
              draft &&
              submit(() => api.declareChangeWindow(declarationOf(draft)))
            }
          >
            Declare
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
