import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import {
  type SpecChange,
  type StackVersion,
  specValueText,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { useRunsPath } from '../routes';
import { stackKeyOf } from './entityStack';
import { StackActions, useStackActions } from './StackActions';
import { StackDriftView } from './StackDriftView';
import { StackExpiryView } from './StackExpiryView';

const when = (at: string) => new Date(at).toLocaleString();

function Change({ change }: { change: SpecChange }) {
  return (
    <li>
      <Typography variant="body2">
        <code>{change.path.replace(/^resources\./, '')}</code>:{' '}
        {specValueText(change.before)} → {specValueText(change.after)}
      </Typography>
    </li>
  );
}

/**
 * The stack's desired state, version by version (on its System's overview): who changed it,
 * when, through which run, and each attribute the change set, with the current spec; its drift
 * from the current version; its expiry (with *Extend*); and the stack's *Change* and *Destroy*.
 */
export function EntityStackHistoryCard() {
  const { entity } = useEntity();
  const api = useApi(provisioningApiRef);
  const runsPath = useRunsPath();
  const key = useMemo(() => stackKeyOf(entity), [entity]);
  const [versions, setVersions] = useState<StackVersion[]>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    if (!key) return undefined;
    let stale = false;
    api
      .getStackVersions(key)
      .then(list => !stale && setVersions(list.items))
      .catch(e => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [api, key]);

  const latest = versions?.[0];
  const links = useStackActions(key, latest);
  return (
    <Card component="section" aria-label="Desired state">
      <CardHeader
        title="Desired state"
        subheader={
          latest
            ? `Version ${latest.version}, since ${when(latest.createdAt)}`
            : 'The spec each successful run made real'
        }
        action={<StackActions links={links} />}
      />
      {!versions && !error && (
        <LinearProgress aria-label="Loading desired state" />
      )}
      <CardContent>
        {error && <Alert severity="error">{error.message}</Alert>}
        {key && <StackExpiryView stack={key} />}
        {versions && !versions.length && (
          <Typography color="text.secondary">
            No version is recorded yet: the stack's desired state is recorded
            when a run that creates or changes it succeeds.
          </Typography>
        )}
        <Box
          component="ol"
          aria-label="Versions"
          sx={{ m: 0, p: 0, listStyle: 'none', display: 'grid', gap: 1.5 }}
        >
          {versions?.map(v => (
            <li key={v.version} aria-label={`Version ${v.version}`}>
              <Typography variant="subtitle2">
                Version {v.version}
                {v.createdBy && (
                  <>
                    {' '}
                    by <EntityRefLink entityRef={v.createdBy} />
                  </>
                )}{' '}
                on {when(v.createdAt)} ·{' '}
                <Link
                  component={RouterLink}
                  to={`${runsPath}/runs/${encodeURIComponent(v.runId)}`}
                >
                  run
                </Link>
              </Typography>
              {v.changes.length ? (
                <Box component="ul" sx={{ m: 0, pl: 3 }}>
                  {v.changes.map(c => (
                    <Change key={c.path} change={c} />
                  ))}
                </Box>
              ) : (
                <Typography variant="body2" color="text.secondary">
                  Created the stack
                </Typography>
              )}
            </li>
          ))}
        </Box>
        {key && latest && (
          <StackDriftView
            stack={key}
            version={latest.version}
            changeForm={links.changeForm}
          />
        )}
        {latest && (
          <Box component="details" sx={{ mt: 2 }}>
            <summary>Spec of version {latest.version}</summary>
            <Box
              component="pre"
              sx={{ fontSize: 12, overflowX: 'auto', m: 0, mt: 1 }}
            >
              {JSON.stringify(latest.spec, null, 2)}
            </Box>
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
