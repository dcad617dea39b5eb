import { coreApis, useApi } from '@backstage/frontend-plugin-api';
import { makeStyles, Tooltip } from '@material-ui/core';

const useStyles = makeStyles({
  marker: {
    display: 'block',
    margin: '0 12px 8px 24px',
    padding: '2px 8px',
    borderRadius: 4,
    background: '#ffb74d',
    color: '#1a1a1a',
    fontSize: 12,
    fontWeight: 700,
    letterSpacing: 1,
    textTransform: 'uppercase',
    textAlign: 'center',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
  },
});

/**
 * Shown on every page while the portal's cloud, GitHub and Jira clients point at the local
 * sandbox (`konductor.sandbox.url`), so nobody mistakes it for a real cloud.
 */
export const SandboxMarker = () => {
  const classes = useStyles();
  const url = useApi(coreApis.config).getOptionalString(
    'konductor.sandbox.url',
  );
  if (!url) return null;
  return (
    <Tooltip
      title={`AWS, GitHub, Jira and Kubernetes calls go to the local sandbox at ${url}. Nothing real is created.`}
    >
      <span className={classes.marker} role="status" aria-label="Sandbox mode">
        Sandbox
      </span>
    </Tooltip>
  );
};
