import { useCallback, useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { JsonObject } from '@backstage/types';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  type StackDrift,
  type StackKey,
  acceptDrift,
  isDrifted,
  specValueText,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { type StackChangeForm, templateFormLink } from './StackActions';

const when = (at: string) => new Date(at).toLocaleString();

/** How often the page re-reads the drift while a scan someone asked for has not reported. */
const POLL_MS = 1500;

/**
 * The stack's drift, as the last scan found it: each attribute whose live value is not the
 * desired one (desired, actual, first seen), resources gone or no longer the stack's, and those
 * not read back. *Check now* asks for a scan; *Revert* opens the change form with the desired
 * values, whose run brings the resources back to them; *Accept* opens it with the live values,
 * whose run records them as the next version (through the plan and the compliance gate).
 */
export function StackDriftView({
  stack,
  version,
  changeForm,
}: {
  stack: StackKey;
  /** The stack's current version: a scan of an older one offers neither Revert nor Accept. */
  version: number;
  /** The change form of the current version, when the user may change the stack. */
  changeForm?: StackChangeForm;
}) {
  const api = useApi(provisioningApiRef);
  const [drift, setDrift] = useState<StackDrift>();
  const [error, setError] = useState<Error>();
  const [asking, setAsking] = useState(false);

  const load = useCallback(
    () =>
      api.getStackDrift(stack).then(
        d => {
          setDrift(d);
          setError(undefined);
        },
        e => setError(e),
      ),
    [api, stack],
  );
  useEffect(() => {
    load();
  }, [load]);
  const waiting = !!drift?.scanRequestedAt;
  useEffect(() => {
    if (!waiting) return undefined;
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, load]);

  const check = async () => {
    setAsking(true);
    try {
      const asked = await api.requestDriftScan(stack);
      if (asked) setDrift(asked);
    } catch (e) {
      setError(e as Error);
    } finally {
      setAsking(false);
    }
  };

  const resources = drift?.resources ?? [];
  const differing = resources.filter(isDrifted);
  const unchecked = resources.filter(r => r.state === 'unchecked');
  const current = changeForm && drift?.version === version;
  const acceptance =
    current && drift
      ? acceptDrift(changeForm.steps, changeForm.values, drift)
      : undefined;
  return (
    <Box component="section" aria-label="Drift" sx={{ mt: 2 }}>
      <Stack direction="row" alignItems="center" spacing={2}>
        <Typography variant="subtitle1" sx={{ flexGrow: 1 }}>
          Drift
        </Typography>
        <Button
          size="small"
          variant="outlined"
          disabled={asking || waiting}
          onClick={check}
        >
          Check now
        </Button>
      </Stack>
      {(asking || waiting) && (
        <LinearProgress aria-label="Checking the cloud" sx={{ my: 1 }} />
      )}
      {error && <Alert severity="error">{error.message}</Alert>}
      {drift && !drift.scannedAt && (
        <Typography variant="body2" color="text.secondary">
          Not checked yet: a scan compares each resource in the cloud with the
          desired state, on a schedule or when you ask.
        </Typography>
      )}
      {drift?.scannedAt && (
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          Checked {when(drift.scannedAt)} against version {drift.version}
        </Typography>
      )}
      {drift?.scannedAt && !differing.length && (
        <Alert severity="success">
          In sync: every attribute Konductor reads back is as version{' '}
          {drift.version} says.
        </Alert>
      )}
      {differing.length > 0 && (
        <>
          <Alert severity="warning">
            {differing.length} of {resources.length} resources differ from
            version {drift?.version}: changed or deleted outside Konductor.
          </Alert>
          <Box sx={{ overflowX: 'auto' }}>
            <Table
              size="small"
              aria-label="Drifted attributes"
              sx={{ '& td, & th': { whiteSpace: 'nowrap' } }}
            >
              <TableHead>
                <TableRow>
                  <TableCell>Resource</TableCell>
                  <TableCell>Attribute</TableCell>
                  <TableCell>Desired</TableCell>
                  <TableCell>Actual</TableCell>
                  <TableCell>First seen</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {differing.flatMap(r =>
                  r.state === 'missing'
                    ? [
                        <TableRow key={r.resource}>
                          <TableCell>{r.resource}</TableCell>
                          <TableCell colSpan={4}>{r.detail}</TableCell>
                        </TableRow>,
                      ]
                    : r.attributes.map(a => (
                        <TableRow key={`${r.resource}.${a.field}`}>
                          <TableCell>{r.resource}</TableCell>
                          <TableCell>
                            <code>{a.field}</code>
                          </TableCell>
                          <TableCell>{specValueText(a.desired)}</TableCell>
                          <TableCell>{specValueText(a.actual)}</TableCell>
                          <TableCell>{when(a.firstSeenAt)}</TableCell>
                        </TableRow>
                      )),
                )}
              </TableBody>
            </Table>
          </Box>
          {current && (
            <Stack direction="row" alignItems="center" spacing={2} mt={1}>
              <Button
                variant="contained"
                component={RouterLink}
                to={templateFormLink(changeForm.templateRef, changeForm.values)}
              >
                Revert
              </Button>
              <Typography variant="body2" color="text.secondary">
                Opens the change form with version {version}'s values: its run
                brings the resources back to them.
              </Typography>
            </Stack>
          )}
          {acceptance?.values && (
            <Stack direction="row" alignItems="center" spacing={2} mt={1}>
              <Button
                variant="outlined"
                component={RouterLink}
                to={templateFormLink(
                  changeForm!.templateRef,
                  acceptance.values as JsonObject,
                )}
              >
                Accept
              </Button>
              <Typography variant="body2" color="text.secondary">
                Opens the change form with the live values: its run records them
                as version {version + 1}, if the compliance gate allows them.
              </Typography>
            </Stack>
          )}
          {acceptance && !acceptance.values && (
            <Alert severity="info" sx={{ mt: 1 }} aria-label="Cannot accept">
              The live state cannot be accepted as it is:
              <Box component="ul" sx={{ m: 0, pl: 3 }}>
                {acceptance.refusals.map(r => (
                  <li key={r}>{r}</li>
                ))}
              </Box>
            </Alert>
          )}
        </>
      )}
      {unchecked.length > 0 && (
        <Typography variant="caption" color="text.secondary" component="p">
          Not read back:{' '}
          {unchecked.map(r => `${r.resource} (${r.detail})`).join('; ')}
        </Typography>
      )}
    </Box>
  );
}
