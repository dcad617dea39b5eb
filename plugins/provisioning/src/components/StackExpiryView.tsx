import { useCallback, useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Link from '@mui/material/Link';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  type ProvisioningStack,
  type StackKey,
  expiryRefusal,
  provisioningStackUpdatePermission,
  runIdFor,
  stackRefOf,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { useRunsPath } from '../routes';
import { expiryPolicyOf, fromLocalInput, toLocalInput } from '../fields/expiry';

/** `in 3 days`, `in 5 hours`, `in 12 minutes`, `in less than a minute`. */
export function fromNow(at: string, now: number): string {
  const minutes = Math.round((new Date(at).getTime() - now) / 60_000);
  if (minutes >= 48 * 60) return `in ${Math.round(minutes / 1440)} days`;
  if (minutes >= 120) return `in ${Math.round(minutes / 60)} hours`;
  if (minutes >= 2) return `in ${minutes} minutes`;
  return minutes === 1 ? 'in 1 minute' : 'in less than a minute';
}

/** *Extend*: a new expiry for the stack, refused by the page and the backend alike past the maximum. */
function ExtendDialog(props: {
  stack: ProvisioningStack;
  onClose: () => void;
  onExtended: (stack: ProvisioningStack) => void;
}) {
  const { stack, onClose, onExtended } = props;
  const api = useApi(provisioningApiRef);
  const policy = expiryPolicyOf(useApi(coreApis.config));
  const [value, setValue] = useState(toLocalInput(stack.expiresAt));
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const expiresAt = fromLocalInput(value);
  const refusal = expiresAt
    ? expiryRefusal(stack.environment, expiresAt, policy)
    : 'Choose a date and time';
  const save = () => {
    if (!expiresAt) return;
    setSaving(true);
    setError(undefined);
    api
      .setStackExpiry(stack, { expiresAt })
      .then(onExtended)
      .catch(e => setError(e.message))
      .finally(() => setSaving(false));
  };
  return (
    <Dialog open onClose={onClose} aria-labelledby="extend-title">
      <DialogTitle id="extend-title">Extend {stack.stackId}</DialogTitle>
      <DialogContent>
        <TextField
          fullWidth
          margin="normal"
          type="datetime-local"
          label="Expires"
          InputLabelProps={{ shrink: true }}
          inputProps={{ step: 1 }}
          value={value}
          onChange={e => setValue(e.target.value)}
          error={!!refusal && !!value}
          helperText={
            (value && refusal) ||
            `At most ${policy.maxDays} days ahead. The owners are told a day and an hour before.`
          }
        />
        {error && <Alert severity="error">{error}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          variant="contained"
          disabled={!!refusal || saving}
          onClick={save}
        >
          Extend
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * The stack's expiry on its page: when the platform destroys it, *Extend* for whoever may change
 * the stack, or the destroy run its expiry started. Nothing for a stack that does not expire.
 */
export function StackExpiryView({ stack: key }: { stack: StackKey }) {
  const api = useApi(provisioningApiRef);
  const runsPath = useRunsPath();
  const [stack, setStack] = useState<ProvisioningStack>();
  const [extending, setExtending] = useState(false);
  const update = usePermission({
    permission: provisioningStackUpdatePermission,
    resourceRef: stackRefOf(key),
  });
  useEffect(() => {
    let stale = false;
    api
      .getStack(key)
      .then(s => !stale && setStack(s))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [api, key]);
  const onExtended = useCallback((s: ProvisioningStack) => {
    setStack(s);
    setExtending(false);
  }, []);
  if (!stack?.expiresAt) return null;
  if (stack.expiryTaskId)
    return (
      <Alert severity="warning" sx={{ mt: 2 }} aria-label="Expiry">
        Expired on {new Date(stack.expiresAt).toLocaleString()}: the platform is
        destroying it (
        <Link
          component={RouterLink}
          to={`${runsPath}/runs/${encodeURIComponent(
            runIdFor(stack.expiryTaskId, stack.stackId),
          )}`}
        >
          destroy run
        </Link>
        ).
      </Alert>
    );
  return (
    <Box
      aria-label="Expiry"
      sx={{ mt: 2, display: 'flex', alignItems: 'center', gap: 2 }}
    >
      <Typography variant="body2">
        Expires on {new Date(stack.expiresAt).toLocaleString()} (
        {fromNow(stack.expiresAt, Date.now())}): the platform then destroys it.
      </Typography>
      {update.allowed && (
        <Button
          size="small"
          variant="outlined"
          onClick={() => setExtending(true)}
        >
          Extend
        </Button>
      )}
      {extending && (
        <ExtendDialog
          stack={stack}
          onClose={() => setExtending(false)}
          onExtended={onExtended}
        />
      )}
    </Box>
  );
}
