import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import Typography from '@mui/material/Typography';
import { Link as RouterLink } from 'react-router-dom';
import { StatusChip, scoreColor } from './StatusChip';
import { useEntityCompliance } from './useEntityCompliance';

/** The entity page's compliance card: score, what fails and how to fix it, a link to the details. */
export function EntityComplianceCard() {
  const { status, missing, error, loading, evaluate } = useEntityCompliance();
  const failing =
    status?.results.filter(r => r.status === 'fail' || r.status === 'error') ??
    [];
  return (
    <Card component="section" aria-label="Compliance">
      <CardHeader
        title="Compliance"
        subheader={
          status
            ? `NIST SP 800-53, FISMA ${status.level}${
                status.environment ? `, ${status.environment}` : ''
              }`
            : undefined
        }
      />
      {loading && <LinearProgress aria-label="Loading compliance" />}
      <CardContent>
        {error && <Alert severity="error">{error.message}</Alert>}
        {missing && (
          <Box>
            <Typography sx={{ mb: 1 }}>Not evaluated yet.</Typography>
            <Button variant="outlined" onClick={evaluate} disabled={loading}>
              Evaluate now
            </Button>
          </Box>
        )}
        {status && (
          <Box>
            <Box
              sx={{ display: 'flex', alignItems: 'baseline', gap: 1, mb: 1 }}
            >
              <Typography
                variant="h3"
                component="p"
                aria-label="Compliance score"
                sx={{ color: scoreColor(status.score) }}
              >
                {status.score === null ? '–' : `${Math.round(status.score)}%`}
              </Typography>
              <Typography color="text.secondary">
                {status.counts.pass ?? 0} passed, {status.counts.fail ?? 0}{' '}
                failed
                {status.counts.error
                  ? `, ${status.counts.error} could not be checked`
                  : ''}
                {status.counts.waived ? `, ${status.counts.waived} waived` : ''}
              </Typography>
            </Box>
            {failing.length === 0 ? (
              <Typography>Every applicable check passes.</Typography>
            ) : (
              <Box component="ul" sx={{ pl: 0, listStyle: 'none', m: 0 }}>
                {failing.map(r => (
                  <Box component="li" key={r.checkId} sx={{ mb: 1.5 }}>
                    <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
                      <StatusChip status={r.status} />
                      <Typography fontWeight={600}>{r.title}</Typography>
                      <Typography variant="caption" color="text.secondary">
                        {r.controls.join(', ')}
                      </Typography>
                    </Box>
                    <Typography variant="body2">{r.message}</Typography>
                    {r.remediation && (
                      <Typography variant="body2" color="text.secondary">
                        Fix: {r.remediation}
                      </Typography>
                    )}
                  </Box>
                ))}
              </Box>
            )}
            <Link component={RouterLink} to="compliance">
              All checks, evidence and history
            </Link>
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
