import { useCallback, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
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
import {
  EntityDisplayName,
  EntityRefLink,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  usd,
  ENVIRONMENTS,
  provisioningBudgetUpdatePermission,
  type BudgetLimits,
  type TeamBudget,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';

/** The share of the budget committed, in words and a tone. */
function used(b: TeamBudget): { text: string; tone?: 'error' | 'warning' } {
  if (b.monthlyCost === null) return { text: '-' };
  const share = b.monthlyCost ? b.committed / b.monthlyCost : 1;
  const text = `${Math.round(share * 100)} %`;
  if (share >= 1) return { text, tone: 'error' };
  return share >= 0.8 ? { text, tone: 'warning' } : { text };
}

/** The form of a budget: blank limits are no limit. */
type Draft = {
  owner: string;
  environment: string;
  monthlyCost: string;
  stacks: string;
};

const draftOf = (b?: TeamBudget): Draft => ({
  owner: b?.owner ?? '',
  environment: b?.environment ?? 'dev',
  monthlyCost: b?.monthlyCost?.toString() ?? '',
  stacks: b?.stacks?.toString() ?? '',
});

const limitsOf = (d: Draft): BudgetLimits =>
  ({
    owner: d.owner.trim(),
    environment: d.environment,
    monthlyCost: d.monthlyCost.trim() === '' ? null : Number(d.monthlyCost),
    stacks: d.stacks.trim() === '' ? null : Number(d.stacks),
  } as BudgetLimits);

/**
 * Every group's monthly budget and stack quota per environment, with what its stacks commit;
 * platform admins set them here (over config's) and withdraw them (back to config's).
 */
export function BudgetsTable() {
  const api = useApi(provisioningApiRef);
  const { allowed: mayEdit } = usePermission({
    permission: provisioningBudgetUpdatePermission,
  });
  const [items, setItems] = useState<TeamBudget[]>();
  const [error, setError] = useState<Error>();
  const [editing, setEditing] = useState<{ draft: Draft; isNew: boolean }>();
  const [saving, setSaving] = useState<{ error?: Error; busy: boolean }>({
    busy: false,
  });

  const load = useCallback(() => {
    api.listBudgets().then(r => {
      setItems(r.items);
      setError(undefined);
    }, setError);
  }, [api]);
  useEffect(load, [load]);

  const close = () => {
    setEditing(undefined);
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
    (name: keyof Draft) => (e: React.ChangeEvent<HTMLInputElement>) =>
      setEditing(
        s => s && { ...s, draft: { ...s.draft, [name]: e.target.value } },
      );

  return (
    <Box sx={{ display: 'grid', gap: 2 }}>
      {error && (
        <Alert severity="error">
          The budgets could not be read: {error.message}
        </Alert>
      )}
      {mayEdit && (
        <Box>
          <Button
            variant="contained"
            onClick={() => setEditing({ draft: draftOf(), isNew: true })}
          >
            Set a budget
          </Button>
        </Box>
      )}
      {!items && !error && <LinearProgress aria-label="Loading budgets" />}
      {items && (
        <Paper>
          <Table size="small" aria-label="Budgets">
            <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
              <TableRow>
                <TableCell>Owner</TableCell>
                <TableCell>Environment</TableCell>
                <TableCell align="right">Budget per month</TableCell>
                <TableCell align="right">Committed</TableCell>
                <TableCell align="right">Used</TableCell>
                <TableCell align="right">Stacks</TableCell>
                <TableCell>Set by</TableCell>
                {mayEdit && <TableCell />}
              </TableRow>
            </TableHead>
            <TableBody>
              {items.length === 0 && (
                <TableRow>
                  <TableCell colSpan={8}>
                    No group has a budget or a stack yet.
                  </TableCell>
                </TableRow>
              )}
              {items.map(b => {
                const share = used(b);
                return (
                  <TableRow key={`${b.owner} ${b.environment}`}>
                    <TableCell>
                      <EntityRefLink entityRef={b.owner} />
                    </TableCell>
                    <TableCell>{b.environment}</TableCell>
                    <TableCell align="right">
                      {b.monthlyCost === null
                        ? 'no budget'
                        : usd(b.monthlyCost)}
                    </TableCell>
                    <TableCell align="right">{usd(b.committed)}</TableCell>
                    <TableCell
                      align="right"
                      sx={share.tone ? { color: `${share.tone}.main` } : {}}
                    >
                      {share.text}
                    </TableCell>
                    <TableCell align="right">
                      {b.stackCount}
                      {b.stacks === null ? '' : ` of ${b.stacks}`}
                    </TableCell>
                    <TableCell>
                      {b.source === 'portal' ? (
                        <>
                          {b.updatedBy ? (
                            <EntityDisplayName
                              entityRef={b.updatedBy}
                              hideIcon
                            />
                          ) : (
                            'an admin'
                          )}
                          , {new Date(b.updatedAt!).toLocaleString()}
                        </>
                      ) : (
                        b.source
                      )}
                    </TableCell>
                    {mayEdit && (
                      <TableCell>
                        <Button
                          size="small"
                          aria-label={`Edit the budget of ${b.owner} in ${b.environment}`}
                          onClick={() =>
                            setEditing({ draft: draftOf(b), isNew: false })
                          }
                        >
                          Edit
                        </Button>
                        {b.source === 'portal' && (
                          <Button
                            size="small"
                            aria-label={`Withdraw the budget of ${b.owner} in ${b.environment}`}
                            onClick={() =>
                              submit(() =>
                                api.withdrawBudget({
                                  owner: b.owner,
                                  environment: b.environment,
                                }),
                              )
                            }
                          >
                            Withdraw
                          </Button>
                        )}
                      </TableCell>
                    )}
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </Paper>
      )}
      <Dialog open={!!editing} onClose={close} aria-labelledby="budget-title">
        <DialogTitle id="budget-title">
          {editing?.isNew
            ? 'Set a budget'
            : `Budget of ${editing?.draft.owner} in ${editing?.draft.environment}`}
        </DialogTitle>
        {editing && (
          <DialogContent sx={{ display: 'grid', gap: 2, pt: 1, minWidth: 420 }}>
            <TextField
              label="Owner group"
              helperText="A group entity ref, such as group:default/team-a"
              value={editing.draft.owner}
              onChange={field('owner')}
              disabled={!editing.isNew}
              sx={{ mt: 1 }}
            />
            <TextField
              select
              label="Environment"
              value={editing.draft.environment}
              onChange={field('environment')}
              disabled={!editing.isNew}
            >
              {ENVIRONMENTS.map(e => (
                <MenuItem key={e} value={e}>
                  {e}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Monthly budget (USD)"
              helperText="Blank: no budget"
              inputMode="decimal"
              value={editing.draft.monthlyCost}
              onChange={field('monthlyCost')}
            />
            <TextField
              label="Stack quota"
              helperText="Blank: no quota"
              inputMode="numeric"
              value={editing.draft.stacks}
              onChange={field('stacks')}
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
              editing && submit(() => api.setBudget(limitsOf(editing.draft)))
            }
          >
            Save
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
