import { useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import {
  AuditClient,
  type AuditPage,
  type AuditQuery,
} from '@konductor/plugin-audit-common';
import { StatusChip } from './StatusChip';
import { downloadCsv, useUrlQuery } from './urlQuery';
import { DenseTable } from './DenseTable';

const FILTERS = [
  'actor',
  'plugin',
  'eventId',
  'status',
  'subject',
  'from',
  'to',
] as const;

type Loaded =
  | { state: 'loading' }
  | { state: 'error'; error: Error }
  | ({ state: 'loaded' } & AuditPage);

/** A date field's value (`YYYY-MM-DD`) as the start of that day, UTC, for the API. */
const dayStart = (day: string) =>
  day ? new Date(`${day}T00:00:00Z`).toISOString() : undefined;

/**
 * The audit trail (admins): who did what, on what, from which request, and how it ended; newest
 * first, filters in the address, CSV export.
 */
export function AuditTable() {
  const discovery = useApi(coreApis.discovery);
  const fetchApi = useApi(coreApis.fetch);
  const client = useMemo(
    () => new AuditClient({ discovery, fetch: fetchApi.fetch }),
    [discovery, fetchApi],
  );
  const { values: filters, params, update } = useUrlQuery(FILTERS);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [exportError, setExportError] = useState<Error>();
  const pageSize = Number(params.get('limit') ?? 50);
  const page = Number(params.get('page') ?? 0);
  const query: AuditQuery = {
    actor: filters.actor || undefined,
    plugin: filters.plugin || undefined,
    eventId: filters.eventId || undefined,
    status: (filters.status || undefined) as AuditQuery['status'],
    subject: filters.subject || undefined,
    from: dayStart(filters.from),
    // Through the end of the day picked.
    to: filters.to
      ? new Date(
          Date.parse(`${filters.to}T00:00:00Z`) + 86_400_000,
        ).toISOString()
      : undefined,
    limit: pageSize,
    offset: page * pageSize,
  };
  const queryKey = JSON.stringify(query);

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(
      () =>
        client.list(JSON.parse(queryKey)).then(
          r => !stale && setLoaded({ state: 'loaded', ...r }),
          e => !stale && setLoaded({ state: 'error', error: e }),
        ),
      250,
    );
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, queryKey, attempt]);

  const exportCsv = async () => {
    setExportError(undefined);
    try {
      downloadCsv(await client.exportCsv(query), 'konductor-audit.csv');
    } catch (e) {
      setExportError(e as Error);
    }
  };

  const text = (name: (typeof FILTERS)[number], label: string) => (
    <TextField
      label={label}
      size="small"
      value={filters[name]}
      onChange={e => update({ [name]: e.target.value })}
    />
  );

  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} flexWrap="wrap" useFlexGap>
        {text('actor', 'Who (user:default/…)')}
        {text('plugin', 'Plugin')}
        {text('eventId', 'Event')}
        {text('subject', 'On (stack, entity, task) or details')}
        <TextField
          select
          label="Outcome"
          size="small"
          sx={{ minWidth: 150 }}
          value={filters.status}
          onChange={e => update({ status: e.target.value })}
        >
          <MenuItem value="">Any</MenuItem>
          <MenuItem value="succeeded">succeeded</MenuItem>
          <MenuItem value="failed">failed</MenuItem>
        </TextField>
        <TextField
          label="From"
          type="date"
          size="small"
          InputLabelProps={{ shrink: true }}
          value={filters.from}
          onChange={e => update({ from: e.target.value })}
        />
        <TextField
          label="To"
          type="date"
          size="small"
          InputLabelProps={{ shrink: true }}
          value={filters.to}
          onChange={e => update({ to: e.target.value })}
        />
        <Box sx={{ flexGrow: 1 }} />
        <Button variant="outlined" onClick={exportCsv}>
          Export CSV
        </Button>
      </Stack>
      {exportError && (
        <Alert severity="error">
          Could not export the audit trail: {exportError.message}
        </Alert>
      )}
      {loaded.state === 'loading' && (
        <LinearProgress aria-label="Loading the audit trail" />
      )}
      {loaded.state === 'error' && (
        <Alert
          severity="error"
          action={
            <Button onClick={() => setAttempt(a => a + 1)}>Try again</Button>
          }
        >
          Could not load the audit trail: {loaded.error.message}
        </Alert>
      )}
      {loaded.state === 'loaded' && loaded.totalCount === 0 && (
        <Typography sx={{ py: 6, textAlign: 'center' }}>
          Nothing recorded matches these filters.
        </Typography>
      )}
      {loaded.state === 'loaded' && loaded.totalCount > 0 && (
        <>
          <DenseTable label="Audit trail">
            <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Who</TableCell>
                <TableCell>What</TableCell>
                <TableCell>On</TableCell>
                <TableCell>Outcome</TableCell>
                <TableCell>Request</TableCell>
                <TableCell>Details</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {loaded.items.map(r => (
                <TableRow key={r.id} hover sx={{ verticalAlign: 'top' }}>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    <time dateTime={r.at}>
                      {new Date(r.at).toLocaleDateString(undefined, {
                        dateStyle: 'medium',
                      })}
                      <br />
                      {new Date(r.at).toLocaleTimeString(undefined, {
                        timeStyle: 'medium',
                      })}
                    </time>
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    {r.actor ?? '-'}
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    <Typography variant="body2" fontWeight={600}>
                      {r.eventId}
                      {r.action ? ` (${r.action})` : ''}
                    </Typography>
                    <Typography variant="body2" color="text.secondary">
                      {r.plugin}
                    </Typography>
                  </TableCell>
                  <TableCell sx={{ overflowWrap: 'anywhere', minWidth: 120 }}>
                    {r.subject ?? '-'}
                  </TableCell>
                  <TableCell sx={{ minWidth: 160 }}>
                    <StatusChip status={r.status} />
                    {r.error && (
                      <Typography variant="body2" color="error">
                        {r.error}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell sx={{ overflowWrap: 'anywhere', minWidth: 110 }}>
                    {r.request ? `${r.request.method} ${r.request.url}` : '-'}
                  </TableCell>
                  <TableCell sx={{ minWidth: 200 }}>
                    {Object.entries(r.meta ?? {}).map(([key, value]) => (
                      <Typography
                        key={key}
                        variant="body2"
                        sx={{ fontSize: 12, overflowWrap: 'anywhere' }}
                      >
                        <b>{key}</b>:{' '}
                        {typeof value === 'string'
                          ? value
                          : JSON.stringify(value)}
                      </Typography>
                    ))}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </DenseTable>
          <TablePagination
            component="div"
            count={loaded.totalCount}
            page={page}
            rowsPerPage={pageSize}
            rowsPerPageOptions={[25, 50, 100]}
            onPageChange={(_, p) => update({ page: String(p) })}
            onRowsPerPageChange={e => update({ limit: e.target.value })}
          />
        </>
      )}
    </Stack>
  );
}
