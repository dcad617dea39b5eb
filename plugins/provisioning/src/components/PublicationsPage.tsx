import { useCallback, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { Link as RouterLink } from 'react-router-dom';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  definitionPublishPermission,
  definitionUnpublishPermission,
  type DefinitionPublication,
  type PublishResult,
} from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';

/** Where a Template's form is. */
const formPath = (e: PublishResult['entities'][number]) =>
  `/create/templates/${e.namespace}/${e.name}`;

/**
 * A refusal: a definition's problems (`… is invalid: a; b`) one per line, anything else as it is.
 */
export function Problems(props: { message: string }) {
  const invalid = /^(.*? is invalid): (.*)$/s.exec(props.message);
  if (!invalid) return <span>{props.message}</span>;
  return (
    <>
      {invalid[1]}:
      <ul style={{ margin: 0, paddingLeft: 20 }}>
        {invalid[2].split('; ').map(problem => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </>
  );
}

/**
 * Unpublish, where the user may (the policy: whoever published it, while a template author, and
 * admins), after a confirmation that says what leaves the catalog.
 */
function UnpublishButton(props: { target: string; onDone: () => void }) {
  const api = useApi(provisioningApiRef);
  const { allowed } = usePermission({
    permission: definitionUnpublishPermission,
    resourceRef: props.target,
  });
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!allowed) return null;
  const unpublish = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.unpublish(props.target);
      setConfirming(false);
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="small" color="error" onClick={() => setConfirming(true)}>
        Unpublish
      </Button>
      <Dialog open={confirming} onClose={() => setConfirming(false)}>
        <DialogTitle>Unpublish this file?</DialogTitle>
        <DialogContent>
          <DialogContentText sx={{ wordBreak: 'break-all' }}>
            {props.target}
          </DialogContentText>
          <DialogContentText sx={{ mt: 1 }}>
            The definitions and templates it holds leave the catalog, and their
            forms leave Create. Stacks already made from them stay, with their
            runs. Publishing it again brings them back.
          </DialogContentText>
          {error && (
            <Alert severity="error" sx={{ mt: 1 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Keep it</Button>
          <Button color="error" disabled={busy} onClick={unpublish}>
            Unpublish
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/**
 * Publishing service definitions and templates from a repository's file: a preview of what the
 * catalog would hold (or why it refuses it, field by field), then publish. Template authors and
 * platform admins publish; everyone sees what was published, by whom.
 */
export function PublicationsPage() {
  const api = useApi(provisioningApiRef);
  const publish = usePermission({ permission: definitionPublishPermission });
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PublishResult>();
  const [error, setError] = useState<string>();
  const [items, setItems] = useState<DefinitionPublication[]>();
  const [listError, setListError] = useState<string>();

  const load = useCallback(
    () => api.listPublications().then(setItems, e => setListError(e.message)),
    [api],
  );
  useEffect(() => {
    load();
  }, [load]);

  async function submit(dryRun: boolean) {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.publish({ target: target.trim(), dryRun }));
      if (!dryRun) await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      {!publish.loading && !publish.allowed && (
        <Alert severity="info" sx={{ mb: 2 }}>
          Only template authors and platform admins publish definitions: ask a
          platform admin to add you to a template authors' group. You can see
          what was published below.
        </Alert>
      )}
      <Paper sx={{ p: 2, mb: 3 }}>
        <Typography variant="h6" component="h2" gutterBottom>
          Publish from a repository
        </Typography>
        <Typography color="text.secondary" variant="body2" sx={{ mb: 2 }}>
          The URL of a ServiceDefinition's YAML file in a repository (or of a
          Location listing several). Preview reads it as the catalog will and
          shows what it holds, or every problem in it; Publish puts it in the
          catalog, which then reads it again whenever the file changes.
        </Typography>
        <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
          <TextField
            label="URL of the file"
            placeholder="https://github.com/acme/platform/blob/main/definition.yaml"
            value={target}
            onChange={e => setTarget(e.target.value)}
            fullWidth
            size="small"
            disabled={!publish.allowed}
          />
          <Button
            variant="outlined"
            disabled={!publish.allowed || busy || !target.trim()}
            onClick={() => submit(true)}
          >
            Preview
          </Button>
          <Button
            variant="contained"
            disabled={!publish.allowed || busy || !target.trim()}
            onClick={() => submit(false)}
          >
            Publish
          </Button>
        </Box>
        {error && (
          <Alert
            severity="error"
            sx={{ mt: 2 }}
            role="alert"
            aria-label="Why it is not published"
          >
            <AlertTitle>Not published</AlertTitle>
            <Problems message={error} />
          </Alert>
        )}
        {result && (
          <Alert
            severity="success"
            sx={{ mt: 2 }}
            role="status"
            aria-label="What the catalog holds"
          >
            <AlertTitle>
              {result.dryRun
                ? 'The catalog would hold'
                : `Published${
                    result.existed ? ' again' : ''
                  }: the catalog holds`}
            </AlertTitle>
            <ul style={{ margin: 0, paddingLeft: 20 }}>
              {result.entities.map(e => (
                <li key={`${e.kind}:${e.namespace}/${e.name}`}>
                  {e.kind}{' '}
                  {result.dryRun ? (
                    <strong>{e.title ?? e.name}</strong>
                  ) : (
                    <EntityRefLink
                      entityRef={{
                        kind: e.kind,
                        namespace: e.namespace,
                        name: e.name,
                      }}
                      title={e.title}
                    />
                  )}
                  {!result.dryRun && e.kind === 'Template' && (
                    <>
                      {' '}
                      (
                      <Link component={RouterLink} to={formPath(e)}>
                        open its form
                      </Link>
                      )
                    </>
                  )}
                </li>
              ))}
            </ul>
          </Alert>
        )}
      </Paper>

      <Typography variant="h6" component="h2" gutterBottom>
        Published
      </Typography>
      {listError && <Alert severity="error">{listError}</Alert>}
      <Paper>
        <Table size="small" aria-label="Published definitions">
          <TableHead>
            <TableRow>
              <TableCell>URL</TableCell>
              <TableCell>Published by</TableCell>
              <TableCell>When</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {items?.length === 0 && (
              <TableRow>
                <TableCell colSpan={4}>
                  Nothing published from the portal yet: the definitions in the
                  catalog come from its configuration.
                </TableCell>
              </TableRow>
            )}
            {items?.map(p => (
              <TableRow key={p.target}>
                <TableCell sx={{ wordBreak: 'break-all' }}>
                  <Link href={p.target} target="_blank" rel="noopener">
                    {p.target}
                  </Link>
                </TableCell>
                <TableCell>
                  <EntityRefLink entityRef={p.publishedBy} />
                </TableCell>
                <TableCell>
                  {new Date(p.publishedAt).toLocaleString()}
                </TableCell>
                <TableCell align="right">
                  <UnpublishButton target={p.target} onDone={load} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Paper>
    </>
  );
}
