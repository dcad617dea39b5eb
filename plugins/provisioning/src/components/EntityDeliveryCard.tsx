import { useCallback, useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { StackDelivery } from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { StatusChip } from './StatusChip';
import { stackKeyOf } from './entityStack';

/** The run status whose colour each Argo CD sync or health status takes. */
const TONES: Record<string, string> = {
  Synced: 'ready',
  Healthy: 'ready',
  Succeeded: 'ready',
  OutOfSync: 'rolling-back',
  Progressing: 'running',
  Running: 'running',
  Degraded: 'failed',
  Missing: 'failed',
  Failed: 'failed',
  Error: 'failed',
  Suspended: 'retained',
};

/** How often the card asks Argo CD again, as the Kubernetes tab does. */
const REFRESH_MS = 10_000;

const short = (revision?: string) => revision?.slice(0, 7) ?? '-';
const when = (at?: string) => (at ? new Date(at).toLocaleString() : '');

/**
 * The component's delivery through Argo CD: the stack's Application (from the component's
 * `konductor.dev/stack-ref`), whether it is synced and at which commit, its health with Argo CD's
 * message, the last sync and the revisions delivered. Refreshed every 10 seconds.
 */
export function EntityDeliveryCard() {
  const { entity } = useEntity();
  const api = useApi(provisioningApiRef);
  const key = useMemo(() => stackKeyOf(entity), [entity]);
  const [delivery, setDelivery] = useState<StackDelivery>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);

  const load = useCallback(async () => {
    if (!key) return;
    try {
      setDelivery(await api.getStackDelivery(key));
      setError(undefined);
    } catch (e) {
      setDelivery(undefined);
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  }, [api, key]);
  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const notFound =
    (error as { response?: { status?: number } })?.response?.status === 404;
  return (
    <Card component="section" aria-label="Delivery">
      <CardHeader
        title="Delivery"
        subheader={
          delivery
            ? `Argo CD application ${delivery.application}`
            : 'Through git and Argo CD'
        }
      />
      {loading && <LinearProgress aria-label="Loading delivery" />}
      <CardContent>
        {error &&
          (notFound ? (
            <Typography color="text.secondary">
              This component's app is not delivered through Argo CD.
            </Typography>
          ) : (
            <Alert severity="error">{error.message}</Alert>
          ))}
        {delivery && (
          <Box sx={{ display: 'grid', gap: 1 }}>
            <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
              <StatusChip
                status={delivery.sync.status}
                tone={TONES[delivery.sync.status] ?? 'queued'}
              />
              <Typography>
                at commit <code>{short(delivery.sync.revision)}</code>
              </Typography>
            </Box>
            <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
              <StatusChip
                status={delivery.health.status}
                tone={TONES[delivery.health.status] ?? 'queued'}
              />
              {delivery.health.message && (
                <Typography variant="body2">
                  {delivery.health.message}
                </Typography>
              )}
            </Box>
            {delivery.operation && (
              <Typography variant="body2" color="text.secondary">
                Last sync {delivery.operation.phase.toLowerCase()}
                {delivery.operation.finishedAt
                  ? ` ${when(delivery.operation.finishedAt)}`
                  : ''}
                {delivery.operation.message
                  ? `: ${delivery.operation.message}`
                  : ''}
              </Typography>
            )}
            <Typography variant="subtitle2" sx={{ mt: 1 }}>
              Revisions delivered
            </Typography>
            <Box
              component="ol"
              aria-label="Revisions delivered"
              sx={{ m: 0, pl: 3 }}
            >
              {delivery.history.map((h, i) => (
                <li key={`${h.revision}-${i}`}>
                  <Typography variant="body2">
                    <code>{short(h.revision)}</code> {when(h.deployedAt)}
                  </Typography>
                </li>
              ))}
            </Box>
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
