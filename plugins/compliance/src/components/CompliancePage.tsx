import { useCallback, useEffect, useMemo, useState } from 'react';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControl from '@mui/material/FormControl';
import InputLabel from '@mui/material/InputLabel';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Select from '@mui/material/Select';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { Link as RouterLink } from 'react-router-dom';
import { ExemptionsList } from './ExemptionsList';
import { useApi } from '@backstage/frontend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type {
  EntityFilter,
  StatusCounts,
  SummaryGroup,
} from '@konductor/plugin-compliance-common';
import { complianceApiRef } from '../api';
import { ScoreHistory } from './ScoreHistory';
import { scoreColor } from './StatusChip';

type EntityPage = Awaited<
  ReturnType<
    import('@konductor/plugin-compliance-common').ComplianceClient['listEntities']
  >
>;

const FILTERS = ['owner', 'system', 'environment', 'level'] as const;

/** A heat map cell's text: its score, `n/a` when nothing counts, nothing without results. */
function cellText(cell?: { score: number | null }): string {
  if (!cell) return '';
  return cell.score === null ? 'n/a' : `${Math.round(cell.score)}%`;
}

/** A heat map cell's background: red to green by score; grey without results. */
function heat(score: number | null | undefined): string {
  if (score === null || score === undefined) return '#f0f0f0';
  const hue = Math.round((score / 100) * 120);
  return `hsl(${hue}, 65%, 80%)`;
}

/**
 * `/compliance`: overall posture, a heat map of controls by owner (or system), the worst
 * entities, filters, and the CSV and OSCAL exports.
 */
export function CompliancePage() {
  const api = useApi(complianceApiRef);
  const [filter, setFilter] = useState<EntityFilter>({});
  const [by, setBy] = useState<'owner' | 'system'>('owner');
  const [page, setPage] = useState<EntityPage>();
  const [controls, setControls] = useState<SummaryGroup[]>();
  const [options, setOptions] = useState<
    Record<(typeof FILTERS)[number], string[]>
  >({ owner: [], system: [], environment: [], level: [] });
  const [error, setError] = useState<Error>();
  const [trend, setTrend] = useState<{ score: number; at: string }[]>();

  useEffect(() => {
    api.facets().then(setOptions, setError);
  }, [api]);

  const load = useCallback(async () => {
    setError(undefined);
    try {
      const [list, summary, days] = await Promise.all([
        api.listEntities(filter),
        api.summary('control', { ...filter, by }),
        api.trend({ ...filter, days: 30 }),
      ]);
      setPage(list);
      setControls(summary.groups);
      setTrend(days.points);
    } catch (e: any) {
      setError(e);
    }
  }, [api, filter, by]);
  useEffect(() => {
    load();
  }, [load]);

  const entities = page?.items;
  const overall = page?.posture ?? { counts: {} as StatusCounts, score: null };
  const columns = useMemo(
    () =>
      [
        ...new Set((controls ?? []).flatMap(g => Object.keys(g.cells ?? {}))),
      ].sort(),
    [controls],
  );
  const worst = useMemo(
    () =>
      [...(entities ?? [])]
        .filter(e => e.score !== null && e.score < 100)
        .sort(
          (a, b) =>
            a.score! - b.score! || a.entityRef.localeCompare(b.entityRef),
        )
        .slice(0, 10),
    [entities],
  );

  const download = async (format: 'csv' | 'oscal') => {
    try {
      const blob = await api.exportResults(format, filter);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download =
        format === 'csv'
          ? 'konductor-compliance.csv'
          : 'konductor-assessment-results.json';
      a.click();
      URL.revokeObjectURL(url);
    } catch (e: any) {
      setError(e);
    }
  };

  return (
    <Box sx={{ p: 3, display: 'grid', gap: 2 }}>
      <Box
        sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap' }}
      >
        {/* The app's page header titles the page: the filters and exports lead here. */}
        {FILTERS.map(f => (
          <FormControl key={f} size="small" sx={{ minWidth: 160 }}>
            <InputLabel id={`filter-${f}`}>
              {f[0].toUpperCase() + f.slice(1)}
            </InputLabel>
            <Select
              labelId={`filter-${f}`}
              label={f[0].toUpperCase() + f.slice(1)}
              value={filter[f] ?? ''}
              onChange={e =>
                setFilter(old => ({ ...old, [f]: e.target.value || undefined }))
              }
            >
              <MenuItem value="">All</MenuItem>
              {options[f].map(v => (
                <MenuItem key={v} value={v}>
                  {v}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
        ))}
        <Button variant="outlined" onClick={() => download('csv')}>
          Export CSV
        </Button>
        <Button variant="outlined" onClick={() => download('oscal')}>
          Export OSCAL
        </Button>
      </Box>
      {error && (
        <Alert
          severity="error"
          action={<Button onClick={load}>Try again</Button>}
        >
          {error.message}
        </Alert>
      )}
      {!entities && !error && (
        <LinearProgress aria-label="Loading compliance" />
      )}
      {entities && (
        <Paper
          sx={{
            p: 2,
            display: 'flex',
            gap: 4,
            alignItems: 'baseline',
            flexWrap: 'wrap',
          }}
        >
          <Box>
            <Typography variant="overline">Average score</Typography>
            <Typography
              variant="h3"
              component="p"
              aria-label="Overall score"
              sx={{ color: scoreColor(overall.score) }}
            >
              {overall.score === null ? '–' : `${overall.score}%`}
            </Typography>
          </Box>
          <Box sx={{ flex: 1, minWidth: 280 }}>
            <Typography variant="overline">Last 30 days</Typography>
            <ScoreHistory
              history={trend ?? []}
              label="Posture trend"
              from={new Date(Date.now() - 30 * 86_400_000)}
            />
          </Box>
          <Typography>
            {page!.totalCount} entities · {overall.counts.pass ?? 0} checks pass
            · {overall.counts.fail ?? 0} fail · {overall.counts.error ?? 0}{' '}
            could not be checked · {overall.counts.waived ?? 0} waived
          </Typography>
        </Paper>
      )}
      {controls && (
        <Paper sx={{ p: 2, overflowX: 'auto' }}>
          <Box sx={{ display: 'flex', alignItems: 'center', mb: 1 }}>
            <Typography variant="h6" component="h2" sx={{ flex: 1 }}>
              Controls by {by}
            </Typography>
            <Select
              size="small"
              value={by}
              onChange={e => setBy(e.target.value as 'owner' | 'system')}
              aria-label="Heat map columns"
            >
              <MenuItem value="owner">by owner</MenuItem>
              <MenuItem value="system">by system</MenuItem>
            </Select>
          </Box>
          {controls.length === 0 ? (
            <Typography color="text.secondary">
              Nothing evaluated matches these filters.
            </Typography>
          ) : (
            <Table size="small" aria-label="Controls heat map">
              <TableHead>
                <TableRow>
                  <TableCell>Control</TableCell>
                  {columns.map(c => (
                    <TableCell key={c} align="center">
                      <EntityDisplayName entityRef={c} hideIcon />
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {controls.map(g => (
                  <TableRow key={g.key}>
                    <TableCell>
                      <Typography fontWeight={600} component="span">
                        {g.key}
                      </Typography>{' '}
                      <Typography variant="caption" color="text.secondary">
                        {g.title}
                      </Typography>
                    </TableCell>
                    {columns.map(c => {
                      const cell = g.cells?.[c];
                      return (
                        <Tooltip
                          key={c}
                          title={
                            cell
                              ? `${cell.counts.pass ?? 0} pass, ${
                                  cell.counts.fail ?? 0
                                } fail, ${cell.counts.error ?? 0} error`
                              : 'no checks'
                          }
                        >
                          <TableCell
                            align="center"
                            aria-label={`${g.key} ${c}: ${
                              cell?.score ?? 'none'
                            }`}
                            sx={{ bgcolor: heat(cell?.score) }}
                          >
                            {cellText(cell)}
                          </TableCell>
                        </Tooltip>
                      );
                    })}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Paper>
      )}
      {entities && (
        <Paper sx={{ p: 2 }}>
          <Typography variant="h6" component="h2">
            Worst offenders
          </Typography>
          {worst.length === 0 ? (
            <Typography color="text.secondary">
              Every entity passes every applicable check.
            </Typography>
          ) : (
            <Table size="small" aria-label="Worst offenders">
              <TableHead>
                <TableRow>
                  <TableCell>Entity</TableCell>
                  <TableCell>Owner</TableCell>
                  <TableCell>Environment</TableCell>
                  <TableCell align="right">Failing</TableCell>
                  <TableCell align="right">Score</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {worst.map(e => {
                  const ref = parseEntityRef(e.entityRef);
                  return (
                    <TableRow key={e.entityRef}>
                      <TableCell>
                        <Link
                          component={RouterLink}
                          to={`/catalog/${ref.namespace}/${ref.kind}/${ref.name}/compliance`}
                        >
                          <EntityDisplayName entityRef={e.entityRef} hideIcon />
                        </Link>
                      </TableCell>
                      <TableCell>
                        {e.owner ? (
                          <EntityDisplayName entityRef={e.owner} hideIcon />
                        ) : (
                          '–'
                        )}
                      </TableCell>
                      <TableCell>{e.environment ?? '–'}</TableCell>
                      <TableCell align="right">
                        {(e.counts.fail ?? 0) + (e.counts.error ?? 0)}
                      </TableCell>
                      <TableCell
                        align="right"
                        sx={{ color: scoreColor(e.score) }}
                      >
                        {Math.round(e.score!)}%
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          )}
        </Paper>
      )}
      <ExemptionsList />
    </Box>
  );
}
