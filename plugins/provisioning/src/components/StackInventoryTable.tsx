import { useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  EntityDisplayName,
  EntityRefLink,
} from '@backstage/plugin-catalog-react';
import {
  usd,
  ENVIRONMENTS,
  INVENTORY_SORTS,
  STACK_STATES,
  type StackInventory,
  type StackInventoryQuery,
  type StackState,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { useRunsPath } from '../routes';
import { StatusChip } from './StatusChip';
import { downloadCsv, useUrlQuery } from './urlQuery';
import { DenseTable } from './DenseTable';

/** The run status whose colour each stack state takes. */
const STATE_TONES: Record<StackState, string> = {
  healthy: 'succeeded',
  running: 'running',
  failed: 'failed',
  drifted: 'rolling-back',
};

const FILTERS = [
  'owner',
  'environment',
  'template',
  'state',
  'minCost',
  'maxCost',
  'text',
] as const;

const COLUMNS: {
  label: string;
  sort?: (typeof INVENTORY_SORTS)[number];
  align?: 'right';
}[] = [
  { label: 'Stack', sort: 'name' },
  { label: 'Environment', sort: 'environment' },
  { label: 'Owner', sort: 'owner' },
  { label: 'Template', sort: 'template' },
  { label: 'State', sort: 'state' },
  { label: 'Created', sort: 'createdAt' },
  { label: 'Changed', sort: 'changedAt' },
  { label: 'Monthly cost', sort: 'monthlyCost', align: 'right' },
];

/** A day on one line; its time shows on hover. */
function When(props: { at?: string }) {
  if (!props.at) return <>-</>;
  const at = new Date(props.at);
  return (
    <Box
      component="time"
      dateTime={props.at}
      title={at.toLocaleString(undefined, {
        dateStyle: 'medium',
        timeStyle: 'short',
      })}
      sx={{ whiteSpace: 'nowrap' }}
    >
      {at.toLocaleDateString(undefined, { dateStyle: 'medium' })}
    </Box>
  );
}

/** A person under a day, on one line (no icon: the column says what they did). */
function By(props: { entityRef?: string }) {
  return props.entityRef ? (
    <Typography
      variant="body2"
      color="text.secondary"
      sx={{ whiteSpace: 'nowrap' }}
    >
      <EntityRefLink entityRef={props.entityRef} hideIcon />
    </Typography>
  ) : null;
}

type Loaded =
  | { state: 'loading' }
  | { state: 'error'; error: Error }
  | ({ state: 'loaded' } & StackInventory);

/**
 * The stack inventory: every stack the user may see, with its owner, template, state and monthly
 * cost; filters, sort and page live in the URL (a view can be shared); totals per team; CSV.
 */
export function StackInventoryTable() {
  const client = useApi(provisioningApiRef);
  const runsPath = useRunsPath();
  const { values: filters, params, update } = useUrlQuery(FILTERS);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [exportError, setExportError] = useState<Error>();

  const sort = params.get('sort') ?? 'name';
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const pageSize = Number(params.get('limit') ?? 25);
  const page = Number(params.get('page') ?? 0);
  const query: StackInventoryQuery = {
    ...(Object.fromEntries(
      Object.entries(filters).filter(([, v]) => v),
    ) as StackInventoryQuery),
    sort: sort as StackInventoryQuery['sort'],
    order,
    limit: pageSize,
    offset: page * pageSize,
  };
  const queryKey = JSON.stringify(query);

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(
      () =>
        client.listStacks(JSON.parse(queryKey)).then(
          r => !stale && setLoaded({ state: 'loaded', ...r }),
          e => !stale && setLoaded({ state: 'error', error: e }),
        ),
      // Typing in a text field waits for a pause.
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
      downloadCsv(await client.exportStacksCsv(query), 'konductor-stacks.csv');
    } catch (e) {
      setExportError(e as Error);
    }
  };

  const owners =
    loaded.state === 'loaded'
      ? [...new Set([...loaded.totals.map(t => t.owner), filters.owner])]
          .filter(Boolean)
          .sort()
      : [filters.owner].filter(Boolean);
  const filtered = FILTERS.some(f => filters[f]);

  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} flexWrap="wrap" useFlexGap>
        <TextField
          label="Search stacks"
          size="small"
          value={filters.text}
          onChange={e => update({ text: e.target.value })}
        />
        {(
          [
            ['owner', 'Owner', owners],
            ['environment', 'Environment', ENVIRONMENTS],
            ['state', 'State', STACK_STATES],
          ] as const
        ).map(([name, label, options]) => (
          <TextField
            key={name}
            select
            label={label}
            size="small"
            value={filters[name]}
            sx={{ minWidth: 150 }}
            onChange={e => update({ [name]: e.target.value })}
          >
            <MenuItem value="">Any</MenuItem>
            {options.map(option => (
              <MenuItem key={option} value={option}>
                {name === 'owner' ? (
                  <EntityDisplayName
                    entityRef={option}
                    hideIcon
                    disableTooltip
                  />
                ) : (
                  option
                )}
              </MenuItem>
            ))}
          </TextField>
        ))}
        <TextField
          label="Template"
          size="small"
          placeholder="template:default/…"
          value={filters.template}
          onChange={e => update({ template: e.target.value })}
        />
        <TextField
          label="Cost from ($/month)"
          size="small"
          type="number"
          sx={{ width: 160 }}
          value={filters.minCost}
          onChange={e => update({ minCost: e.target.value })}
        />
        <TextField
          label="Cost to ($/month)"
          size="small"
          type="number"
          sx={{ width: 160 }}
          value={filters.maxCost}
          onChange={e => update({ maxCost: e.target.value })}
        />
        <Box sx={{ flexGrow: 1 }} />
        <Button variant="outlined" onClick={exportCsv}>
          Export CSV
        </Button>
      </Stack>
      {exportError && (
        <Alert severity="error">
          Could not export the stacks: {exportError.message}
        </Alert>
      )}
      {loaded.state === 'loading' && (
        <LinearProgress aria-label="Loading stacks" />
      )}
      {loaded.state === 'error' && (
        <Alert
          severity="error"
          action={
            <Button onClick={() => setAttempt(a => a + 1)}>Try again</Button>
          }
        >
          Could not load the stacks: {loaded.error.message}
        </Alert>
      )}
      {loaded.state === 'loaded' && loaded.totalCount === 0 && (
        <Box sx={{ py: 6, textAlign: 'center' }}>
          <Typography variant="h6">
            {filtered ? 'No stacks match these filters' : 'No stacks yet'}
          </Typography>
          <Typography color="text.secondary">
            {filtered
              ? 'Clear a filter to see more stacks.'
              : 'A stack appears here as soon as a template provisions it.'}
          </Typography>
        </Box>
      )}
      {loaded.state === 'loaded' && loaded.totalCount > 0 && (
        <>
          <Typography aria-label="Inventory summary">
            {loaded.totalCount} stack{loaded.totalCount === 1 ? '' : 's'},{' '}
            {usd(loaded.monthlyCost)} a month (on-demand list prices)
          </Typography>
          <DenseTable label="Stacks">
            <TableHead>
              <TableRow>
                {COLUMNS.map(c => (
                  <TableCell
                    key={c.label}
                    align={c.align}
                    sx={{ whiteSpace: 'nowrap' }}
                    sortDirection={c.sort === sort ? order : false}
                  >
                    {c.sort ? (
                      <TableSortLabel
                        active={c.sort === sort}
                        direction={c.sort === sort ? order : 'asc'}
                        onClick={() =>
                          update({
                            sort: c.sort!,
                            order:
                              c.sort === sort && order === 'asc'
                                ? 'desc'
                                : 'asc',
                          })
                        }
                      >
                        {c.label}
                      </TableSortLabel>
                    ) : (
                      c.label
                    )}
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {loaded.items.map(s => (
                <TableRow key={s.ref} hover>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    <EntityRefLink
                      entityRef={`system:default/${s.stackId}`}
                      title={s.stackId}
                    />
                    <Typography variant="body2" color="text.secondary">
                      {s.accountId} · {s.region}
                    </Typography>
                  </TableCell>
                  <TableCell>{s.environment}</TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    <EntityRefLink entityRef={s.owner} />
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    {s.templateRef ? (
                      <EntityRefLink entityRef={s.templateRef} />
                    ) : (
                      '-'
                    )}
                  </TableCell>
                  <TableCell>
                    {s.lastRunId ? (
                      <Link
                        component={RouterLink}
                        to={`${runsPath}/runs/${encodeURIComponent(
                          s.lastRunId,
                        )}`}
                        aria-label={`Last run of ${s.stackId}`}
                      >
                        <StatusChip
                          status={s.state}
                          tone={STATE_TONES[s.state]}
                        />
                      </Link>
                    ) : (
                      <StatusChip
                        status={s.state}
                        tone={STATE_TONES[s.state]}
                      />
                    )}
                  </TableCell>
                  <TableCell>
                    <When at={s.createdAt} />
                    <By entityRef={s.createdBy} />
                  </TableCell>
                  <TableCell>
                    <When at={s.changedAt} />
                    <By entityRef={s.changedBy} />
                  </TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    {s.monthlyCost === undefined ? '-' : usd(s.monthlyCost)}
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
            rowsPerPageOptions={[10, 25, 50, 100]}
            onPageChange={(_, p) => update({ page: String(p) })}
            onRowsPerPageChange={e => update({ limit: e.target.value })}
          />
          <Paper variant="outlined" sx={{ p: 2 }}>
            <Typography variant="h6" component="h2" gutterBottom>
              Monthly cost by team
            </Typography>
            <Table size="small" aria-label="Monthly cost by team">
              <TableHead>
                <TableRow>
                  <TableCell>Owner</TableCell>
                  <TableCell align="right">Stacks</TableCell>
                  <TableCell align="right">Monthly cost</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {loaded.totals.map(t => (
                  <TableRow key={t.owner}>
                    <TableCell>
                      <Link
                        component="button"
                        onClick={() => update({ owner: t.owner })}
                      >
                        <EntityDisplayName
                          entityRef={t.owner}
                          hideIcon
                          disableTooltip
                        />
                      </Link>
                    </TableCell>
                    <TableCell align="right">{t.stacks}</TableCell>
                    <TableCell align="right">{usd(t.monthlyCost)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Paper>
        </>
      )}
    </Stack>
  );
}
