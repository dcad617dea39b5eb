import { useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { ProvisioningRun } from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { formatDuration } from '../runState';
import { useRunsPath } from '../routes';
import { StatusChip } from './StatusChip';
import { useNow } from './useNow';

/** Filters a table always applies, such as the entity of an entity page's tab. */
export interface FixedRunFilter {
  entityRef?: string;
  templateRef?: string;
  /** A stack's runs: its account, region and id. */
  accountId?: string;
  region?: string;
  stackId?: string;
}

/** A select of one filter, with "Any" for no filter. */
function FilterSelect(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (value: string) => void;
}) {
  return (
    <TextField
      select
      label={props.label}
      size="small"
      value={props.value}
      sx={{ minWidth: 150 }}
      onChange={e => props.onChange(e.target.value)}
    >
      <MenuItem value="">Any</MenuItem>
      {props.options.map(option => (
        <MenuItem key={option} value={option}>
          {option}
        </MenuItem>
      ))}
    </TextField>
  );
}

type Loaded =
  | { state: 'loading' }
  | { state: 'error'; error: Error }
  | { state: 'loaded'; items: ProvisioningRun[]; totalCount: number };

/**
 * Runs, newest first, filterable by text, status and environment, paged on the server. A table
 * with running runs refreshes itself every few seconds.
 */
export function RunsTable(props: { fixed?: FixedRunFilter }) {
  const client = useApi(provisioningApiRef);
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  const [environment, setEnvironment] = useState('');
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(20);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const anyRunning =
    loaded.state === 'loaded' && loaded.items.some(r => r.status === 'running');
  const now = useNow(anyRunning);

  // While a run is running, refresh so its status and duration follow.
  useEffect(() => {
    if (!anyRunning) return undefined;
    const timer = setInterval(() => setAttempt(a => a + 1), 5000);
    return () => clearInterval(timer);
  }, [anyRunning]);
  const runsPath = useRunsPath();
  const runPath = (id: string) => `${runsPath}/runs/${encodeURIComponent(id)}`;

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(
      () =>
        client
          .listRuns({
            ...props.fixed,
            text: text || undefined,
            status: status || undefined,
            environment: environment || undefined,
            limit: pageSize,
            offset: page * pageSize,
          })
          .then(
            r => !stale && setLoaded({ state: 'loaded', ...r }),
            e => !stale && setLoaded({ state: 'error', error: e }),
          ),
      // Typing in the search box waits for a pause.
      text ? 250 : 0,
    );
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, props.fixed, text, status, environment, page, pageSize, attempt]);

  const filtered = !!(text || status || environment);
  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2}>
        <TextField
          label="Search stacks"
          size="small"
          value={text}
          onChange={e => {
            setText(e.target.value);
            setPage(0);
          }}
        />
        <FilterSelect
          label="Status"
          value={status}
          options={['running', 'succeeded', 'failed', 'cancelled']}
          onChange={v => {
            setStatus(v);
            setPage(0);
          }}
        />
        <FilterSelect
          label="Environment"
          value={environment}
          options={['dev', 'staging', 'prod']}
          onChange={v => {
            setEnvironment(v);
            setPage(0);
          }}
        />
      </Stack>
      {loaded.state === 'loading' && (
        <LinearProgress aria-label="Loading runs" />
      )}
      {loaded.state === 'error' && (
        <Alert
          severity="error"
          action={
            <Button onClick={() => setAttempt(a => a + 1)}>Try again</Button>
          }
        >
          Could not load provisioning runs: {loaded.error.message}
        </Alert>
      )}
      {loaded.state === 'loaded' && loaded.totalCount === 0 && (
        <Box sx={{ py: 6, textAlign: 'center' }}>
          <Typography variant="h6">
            {filtered
              ? 'No runs match these filters'
              : 'No provisioning runs yet'}
          </Typography>
          <Typography color="text.secondary">
            {filtered
              ? 'Clear a filter to see more runs.'
              : 'A run appears here as soon as a template provisions a stack.'}
          </Typography>
          {!filtered && (
            <Button
              component={RouterLink}
              to="/create"
              sx={{ mt: 2 }}
              variant="outlined"
            >
              Create something
            </Button>
          )}
        </Box>
      )}
      {loaded.state === 'loaded' && loaded.totalCount > 0 && (
        <>
          <Table size="small" aria-label="Provisioning runs">
            <TableHead>
              <TableRow>
                <TableCell>Stack</TableCell>
                <TableCell>Environment</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Owner</TableCell>
                <TableCell>Started by</TableCell>
                <TableCell>Started</TableCell>
                <TableCell>Duration</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {loaded.items.map(run => (
                <TableRow key={run.id} hover>
                  <TableCell>
                    <Link component={RouterLink} to={runPath(run.id)}>
                      {run.stackId}
                    </Link>
                  </TableCell>
                  <TableCell>{run.environment}</TableCell>
                  <TableCell>
                    <StatusChip status={run.status} />
                  </TableCell>
                  <TableCell>
                    {run.owner ? <EntityRefLink entityRef={run.owner} /> : '-'}
                  </TableCell>
                  <TableCell>
                    {run.createdBy ? (
                      <EntityRefLink entityRef={run.createdBy} />
                    ) : (
                      '-'
                    )}
                  </TableCell>
                  <TableCell>
                    {new Date(run.createdAt).toLocaleString()}
                  </TableCell>
                  <TableCell>
                    {formatDuration(
                      (run.finishedAt ? Date.parse(run.finishedAt) : now) -
                        Date.parse(run.createdAt),
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <TablePagination
            component="div"
            count={loaded.totalCount}
            page={page}
            rowsPerPage={pageSize}
            rowsPerPageOptions={[10, 20, 50, 100]}
            onPageChange={(_, p) => setPage(p)}
            onRowsPerPageChange={e => {
              setPageSize(Number(e.target.value));
              setPage(0);
            }}
          />
        </>
      )}
    </Stack>
  );
}
