import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { ScoreHistory } from './ScoreHistory';
import { StatusChip, scoreColor } from './StatusChip';
import { useEntityCompliance } from './useEntityCompliance';
import { ExemptionControls } from './ExemptionControls';

function show(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * The entity's "Compliance" tab: every applicable check with its status, the controls it
 * evidences, the facts it read (value, source, time), what to change, and the score's history.
 */
export function EntityComplianceContent() {
  const { status, missing, error, loading, evaluate, ref, reload } =
    useEntityCompliance();
  return (
    <Box sx={{ p: 1, display: 'grid', gap: 2 }}>
      {loading && <LinearProgress aria-label="Loading compliance" />}
      {error && <Alert severity="error">{error.message}</Alert>}
      {missing && (
        <Alert
          severity="info"
          action={
            <Button onClick={evaluate} disabled={loading}>
              Evaluate now
            </Button>
          }
        >
          This entity has not been evaluated yet.
        </Alert>
      )}
      {status && (
        <>
          <Paper
            sx={{
              p: 2,
              display: 'flex',
              gap: 4,
              alignItems: 'center',
              flexWrap: 'wrap',
            }}
          >
            <Box>
              <Typography variant="overline">Score</Typography>
              <Typography
                variant="h3"
                component="p"
                sx={{ color: scoreColor(status.score) }}
              >
                {status.score === null ? '–' : `${Math.round(status.score)}%`}
              </Typography>
            </Box>
            <Box>
              <Typography variant="overline">Level</Typography>
              <Typography>FISMA {status.level}</Typography>
              <Typography variant="overline">Environment</Typography>
              <Typography>{status.environment ?? 'unknown'}</Typography>
            </Box>
            <Box sx={{ flex: 1, minWidth: 280 }}>
              <Typography variant="overline">History</Typography>
              <ScoreHistory history={status.history} />
            </Box>
            <Box>
              <Typography
                variant="caption"
                display="block"
                color="text.secondary"
              >
                Evaluated {new Date(status.evaluatedAt).toLocaleString()}
              </Typography>
              <Button variant="outlined" onClick={evaluate} disabled={loading}>
                Re-check now
              </Button>
            </Box>
          </Paper>
          <Paper>
            <Table size="small" aria-label="Compliance checks">
              <TableHead>
                <TableRow sx={{ '& th': { whiteSpace: 'nowrap' } }}>
                  <TableCell sx={{ minWidth: 180 }}>Check</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell>Controls</TableCell>
                  <TableCell>Result</TableCell>
                  <TableCell>Evidence</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {status.results.map(r => {
                  // The newest exemption of the check that has not expired.
                  const exemption = status.exemptions
                    .filter(
                      e =>
                        e.checkId === r.checkId &&
                        new Date(e.expiresAt) > new Date(),
                    )
                    .pop();
                  return (
                    <TableRow key={r.checkId} data-check={r.checkId}>
                      <TableCell>
                        <Typography fontWeight={600}>{r.title}</Typography>
                        <Typography variant="caption" color="text.secondary">
                          {r.checkId}
                        </Typography>
                      </TableCell>
                      <TableCell>
                        <StatusChip status={r.status} />
                      </TableCell>
                      <TableCell>
                        {r.controls.map(c => (
                          <Chip
                            key={c}
                            size="small"
                            label={c}
                            sx={{ mr: 0.5 }}
                          />
                        ))}
                      </TableCell>
                      <TableCell>
                        <Typography variant="body2">{r.message}</Typography>
                        {r.remediation && (
                          <Typography variant="body2" color="text.secondary">
                            Fix: {r.remediation}
                          </Typography>
                        )}
                        {r.lastKnown && (
                          <Typography variant="body2" color="text.secondary">
                            Last known: {r.lastKnown.status} (
                            {r.lastKnown.message}) on{' '}
                            {new Date(r.lastKnown.evaluatedAt).toLocaleString()}
                          </Typography>
                        )}
                        <ExemptionControls
                          entityRef={ref}
                          checkId={r.checkId}
                          title={r.title}
                          failing={r.status === 'fail'}
                          exemption={exemption}
                          onChange={reload}
                        />
                      </TableCell>
                      <TableCell>
                        {r.evidence.map(e => (
                          <Typography
                            key={e.fact}
                            variant="body2"
                            sx={{ fontFamily: 'monospace' }}
                          >
                            {e.fact} ={' '}
                            {e.error ? `unknown (${e.error})` : show(e.value)}
                            <Typography
                              component="span"
                              variant="caption"
                              color="text.secondary"
                            >
                              {' '}
                              ({e.source}, {new Date(e.readAt).toLocaleString()}
                              )
                            </Typography>
                          </Typography>
                        ))}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Paper>
        </>
      )}
    </Box>
  );
}
