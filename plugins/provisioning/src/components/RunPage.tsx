import { memo, ReactNode, useEffect, useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { CurrentStackActions } from './StackActions';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  provisioningRunCancelPermission,
  provisioningRunRetryPermission,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { useLiveRun } from '../useLiveRun';
import { useRunsPath } from '../routes';
import { formatDuration, runProgress, RunState } from '../runState';
import { EventLog } from './EventLog';
import { RunGraph } from './RunGraph';
import { StatusChip } from './StatusChip';
import { useNow } from './useNow';

function Section(props: {
  title: string;
  children: ReactNode;
  aside?: ReactNode;
}) {
  return (
    <Paper
      variant="outlined"
      sx={{ p: 2 }}
      component="section"
      aria-label={props.title}
    >
      <Stack direction="row" alignItems="center" sx={{ mb: 1.5 }}>
        <Typography variant="h6" component="h2" sx={{ flexGrow: 1 }}>
          {props.title}
        </Typography>
        {props.aside}
      </Stack>
      {props.children}
    </Paper>
  );
}

// These re-render only when their props change, not on every event or tick of the page.
const OutputsAndLinks = memo(OutputsAndLinksView);
const RunActions = memo(RunActionsView);

/** `/provisioning/runs/:id`: one run, live. */
export function RunPage() {
  const { id } = useParams();
  return <RunView runId={id!} />;
}

/** A run's graph, progress, outputs and event log, kept live. */
export function RunView(props: { runId: string }) {
  const { state, error, connectionError } = useLiveRun(props.runId);
  const runsPath = useRunsPath();

  if (error)
    return (
      <Box sx={{ p: 3 }}>
        <Alert severity="error" title="Could not load the run">
          {error.message}
        </Alert>
        <Button component={RouterLink} to={runsPath} sx={{ mt: 2 }}>
          All runs
        </Button>
      </Box>
    );
  if (!state)
    return (
      <Stack
        spacing={2}
        sx={{ p: 3 }}
        aria-busy="true"
        aria-label="Loading run"
      >
        <Skeleton variant="rectangular" height={64} />
        <Skeleton variant="rectangular" height={220} />
        <Skeleton variant="rectangular" height={320} />
      </Stack>
    );

  const { run } = state;
  return (
    <Stack spacing={2} sx={{ p: 3 }}>
      <Stack direction="row" alignItems="center" flexWrap="wrap" gap={2}>
        <Box sx={{ flex: '1 1 420px', minWidth: 0 }}>
          <Typography variant="h4" component="h1">
            {run.stackName}
          </Typography>
          <Typography color="text.secondary">
            {run.stackId} · started {new Date(run.createdAt).toLocaleString()}
            {run.createdBy ? ' by ' : ''}
            {run.createdBy && <EntityRefLink entityRef={run.createdBy} />}
            {run.owner && (
              <>
                {' · owned by '}
                <EntityRefLink entityRef={run.owner} />
              </>
            )}
            {' · '}
            <Elapsed state={state} />
          </Typography>
        </Box>
        <Stack
          direction="row"
          alignItems="center"
          flexWrap="wrap"
          justifyContent="flex-end"
          gap={1}
        >
          <Chip label={run.environment} variant="outlined" />
          <StatusChip status={run.status} size="medium" />
          <Chip
            label={connectionError ? 'Reconnecting' : 'Live'}
            variant="outlined"
            color={connectionError ? 'warning' : 'success'}
            title="Events stream to this page as the run stores them"
          />
          <RunActions run={run} />
          {run.stackRef && run.status !== 'running' && (
            <CurrentStackActions stackRef={run.stackRef} />
          )}
        </Stack>
      </Stack>
      {connectionError && (
        <Alert severity="warning">
          Lost the connection to the portal ({connectionError.message});
          retrying. Nothing is missed: the page continues from event{' '}
          {state.cursor}.
        </Alert>
      )}
      <RunOutcome state={state} />
      <RunProgressBar state={state} />
      <Section title="Resources">
        <LiveGraph state={state} />
      </Section>
      <OutputsAndLinks
        run={run}
        nodes={state.nodes}
        outputsHidden={state.outputsHidden}
      />
      <Section
        title="Events"
        aside={
          <Typography color="text.secondary" variant="body2">
            {state.events.length} events
          </Typography>
        }
      >
        <EventLog events={state.events} />
      </Section>
    </Stack>
  );
}

/**
 * The current time for what the page shows as elapsed or left, ticking each second while the run
 * runs and never behind its newest event, whatever the clocks of browser and server say. Only the
 * parts that show a time call it, so a tick re-renders them and nothing else.
 */
function useRunNow(state: RunState): number {
  const tick = useNow(state.run.status === 'running');
  const lastEvent = state.events[state.events.length - 1];
  return Math.max(tick, lastEvent ? Date.parse(lastEvent.at) : 0);
}

/** How long the run has taken so far. */
function Elapsed({ state }: { state: RunState }) {
  const now = useRunNow(state);
  const { run } = state;
  const ended = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return <>{formatDuration(ended - Date.parse(run.createdAt))}</>;
}

function LiveGraph({ state }: { state: RunState }) {
  return <RunGraph nodes={state.nodes} now={useRunNow(state)} />;
}

/** What ended the run, in words: the failed resources and what the rollback did. */
function RunOutcome({ state }: { state: RunState }) {
  const { run, nodes } = state;
  if (run.status === 'running' || run.status === 'succeeded') return null;
  const failed = nodes.filter(n => n.status === 'failed' || n.error);
  const deleted = nodes
    .filter(n => n.status === 'deleted')
    .map(n => n.resource);
  const retained = nodes
    .filter(n => n.status === 'retained')
    .map(n => n.resource);
  return (
    <Alert severity={run.status === 'failed' ? 'error' : 'info'}>
      <strong>Run {run.status}.</strong>{' '}
      {failed.map(n => `${n.resource}: ${n.error ?? 'failed'}. `)}
      {deleted.length > 0 && `Rolled back: ${deleted.join(', ')} deleted. `}
      {retained.length > 0 && `Kept for inspection: ${retained.join(', ')}.`}
    </Alert>
  );
}

function RunProgressBar({ state }: { state: RunState }) {
  const now = useRunNow(state);
  const { fraction, remainingMs } = runProgress(state, now);
  const running = state.run.status === 'running';
  const done = state.nodes.filter(n => n.status === 'ready').length;
  return (
    <Paper variant="outlined" sx={{ p: 2 }}>
      <Stack direction="row" justifyContent="space-between" sx={{ mb: 1 }}>
        <Typography variant="body2">
          {done} of {state.nodes.length} resources ready
        </Typography>
        <Typography variant="body2" color="text.secondary">
          {running
            ? `about ${formatDuration(remainingMs ?? 0)} left`
            : `${state.run.status}`}
        </Typography>
      </Stack>
      <LinearProgress
        variant="determinate"
        value={Math.round(fraction * 100)}
        aria-label="Run progress"
        color={
          (
            {
              failed: 'error',
              succeeded: 'success',
              // With the colour below: a grey bar.
              cancelled: 'inherit',
              running: 'primary',
            } as const
          )[state.run.status]
        }
        sx={{
          height: 10,
          borderRadius: 5,
          color: state.run.status === 'cancelled' ? 'grey.500' : undefined,
        }}
      />
    </Paper>
  );
}

const isUrl = (v: unknown): v is string =>
  typeof v === 'string' && /^https?:\/\//.test(v);

/**
 * The "Roll back an app" template's form, filled with this run's stack and a revision its app was
 * delivered at (the scaffolder reads `formData`).
 */
const rollbackLink = (run: RunState['run'], revision: string) =>
  `/create/templates/default/rollback-app?${new URLSearchParams({
    formData: JSON.stringify({
      name: run.stackName,
      environment: run.environment,
      location: { accountId: run.accountId, region: run.region },
      revision,
    }),
  })}`;

/** Links to the task, template and entity, the stack's outputs, and a rollback to its app's revision. */
function OutputsAndLinksView({
  run,
  nodes,
  outputsHidden,
}: {
  run: RunState['run'];
  nodes: RunState['nodes'];
  outputsHidden?: boolean;
}) {
  // What a rollback (or a destroy) deleted has no outputs any more: its ids name nothing.
  const existing = nodes.filter(n => n.status !== 'deleted');
  const deleted = nodes
    .filter(n => n.status === 'deleted')
    .map(n => n.resource);
  const withOutputs = existing.filter(
    n => n.outputs && Object.keys(n.outputs).length,
  );
  return (
    <Section title="Outputs and links">
      <Stack spacing={1}>
        <Stack direction="row" spacing={3} flexWrap="wrap">
          <Link component={RouterLink} to={`/create/tasks/${run.taskId}`}>
            Scaffolder task
          </Link>
          {run.templateRef && (
            <span>
              Template: <EntityRefLink entityRef={run.templateRef} />
            </span>
          )}
          {run.entityRef && (
            <span>
              Entity: <EntityRefLink entityRef={run.entityRef} />
            </span>
          )}
          {existing
            .filter(n => isUrl(n.outputs?.url))
            .map(n => (
              <Link key={n.resource} href={n.outputs!.url as string}>
                Open {n.resource}
              </Link>
            ))}
          {run.status === 'succeeded' &&
            run.accountId &&
            run.region &&
            nodes
              .filter(n => typeof n.outputs?.revision === 'string')
              .map(n => (
                <Link
                  key={`${n.resource}-rollback`}
                  component={RouterLink}
                  to={rollbackLink(run, String(n.outputs!.revision))}
                >
                  Roll {n.resource} back to{' '}
                  {String(n.outputs!.revision).slice(0, 7)}
                </Link>
              ))}
        </Stack>
        {outputsHidden && (
          <Typography color="text.secondary" variant="body2">
            Outputs (ids, endpoints, ARNs) are shown to members of{' '}
            {run.owner ? <EntityRefLink entityRef={run.owner} /> : 'the owner'}{' '}
            and platform admins.
          </Typography>
        )}
        {!outputsHidden &&
          withOutputs.length === 0 &&
          run.status === 'running' && (
            <Typography color="text.secondary" variant="body2">
              Outputs appear as resources become ready.
            </Typography>
          )}
        {deleted.length > 0 && (
          <Typography color="text.secondary" variant="body2">
            Deleted by this run, so without outputs: {deleted.join(', ')}.
          </Typography>
        )}
        {withOutputs.length > 0 && (
          <Box
            component="dl"
            sx={{
              display: 'grid',
              gridTemplateColumns: 'max-content 1fr',
              columnGap: 2,
              rowGap: 0.5,
              m: 0,
              fontSize: 14,
            }}
          >
            {withOutputs.flatMap(n =>
              Object.entries(n.outputs!).map(([key, value]) => [
                <Box
                  component="dt"
                  key={`${n.resource}.${key}`}
                  sx={{ color: 'text.secondary' }}
                >
                  {n.resource}.{key}
                </Box>,
                <Box
                  component="dd"
                  key={`${n.resource}.${key}=`}
                  sx={{ m: 0, fontFamily: 'monospace', wordBreak: 'break-all' }}
                >
                  {isUrl(value) ? (
                    <Link href={value}>{value}</Link>
                  ) : (
                    String(
                      typeof value === 'object' ? JSON.stringify(value) : value,
                    )
                  )}
                </Box>,
              ]),
            )}
          </Box>
        )}
      </Stack>
    </Section>
  );
}

/** Cancel (a running run) and retry (a finished one), each where the user is permitted. */
function RunActionsView({ run }: { run: RunState['run'] }) {
  const client = useApi(provisioningApiRef);
  // Decided on the run's stack: its owner's members and admins by default.
  const cancel = usePermission({
    permission: provisioningRunCancelPermission,
    resourceRef: run.stackRef,
  });
  const retry = usePermission({
    permission: provisioningRunRetryPermission,
    resourceRef: run.stackRef,
  });
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();

  // What a request led to is shown until the run's status changes.
  useEffect(() => setResult(undefined), [run.status]);

  const act = async (action: 'cancel' | 'retry') => {
    setConfirming(false);
    setBusy(true);
    try {
      await (action === 'cancel'
        ? client.cancelRun(run.id)
        : client.retryRun(run.id));
      setResult({
        ok: true,
        text:
          action === 'cancel'
            ? 'Cancellation requested: the run rolls back what it created.'
            : 'Retry started: the run resumes from its last checkpoint.',
      });
    } catch (e) {
      setResult({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {run.status === 'running' && cancel.allowed && (
        <Button
          variant="outlined"
          color="error"
          disabled={busy}
          onClick={() => setConfirming(true)}
        >
          Cancel run
        </Button>
      )}
      {run.status !== 'running' &&
        run.status !== 'succeeded' &&
        retry.allowed && (
          <Button
            variant="contained"
            disabled={busy}
            onClick={() => act('retry')}
          >
            Retry
          </Button>
        )}
      <Dialog open={confirming} onClose={() => setConfirming(false)}>
        <DialogTitle>Cancel {run.stackId}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The run stops and rolls back the resources it has created so far.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Keep running</Button>
          <Button color="error" onClick={() => act('cancel')}>
            Cancel run
          </Button>
        </DialogActions>
      </Dialog>
      {result && (
        <Alert
          severity={result.ok ? 'success' : 'error'}
          onClose={() => setResult(undefined)}
          sx={{ flexBasis: '100%' }}
        >
          {result.text}
        </Alert>
      )}
    </>
  );
}
