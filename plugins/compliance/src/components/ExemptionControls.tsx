import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  complianceExemptionApprovePermission,
  complianceExemptionCreatePermission,
  complianceExemptionDeletePermission,
  type Exemption,
} from '@konductor/plugin-compliance-common';
import { complianceApiRef } from '../api';

/** The backend's own words for a refusal, not "Request failed with 400". */
const messageOf = (e: any): string => e?.body?.error?.message ?? e?.message;

const day = (iso: string) => new Date(iso).toLocaleDateString();

/** A date `days` from today, as the date field takes it. */
const inDays = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Runs a change to an exemption: busy while it runs, the backend's words when it fails. */
function useExemptionAction(onDone: () => void) {
  const [state, setState] = useState<{ busy: boolean; error?: string }>({
    busy: false,
  });
  const act = async (action: () => Promise<unknown>) => {
    setState({ busy: true });
    try {
      await action();
      setState({ busy: false });
      onDone();
    } catch (e) {
      setState({ busy: false, error: messageOf(e) });
    }
  };
  return { state, setState, act };
}

/**
 * A check's exemption on the entity's compliance tab: what it is (requested, or approved and
 * waiving the check) with Approve (someone else's request, for approvers) and Withdraw (the
 * entity's owners and admins); on a failing check without one, Request exemption.
 */
export function ExemptionControls(props: {
  entityRef: string;
  checkId: string;
  title: string;
  failing: boolean;
  exemption?: Exemption;
  onChange: () => void;
}) {
  const { entityRef, checkId, title, failing, exemption, onChange } = props;
  const api = useApi(complianceApiRef);
  const mayRequest = usePermission({
    permission: complianceExemptionCreatePermission,
    resourceRef: entityRef,
  });
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState({ justification: '', expiresAt: '' });
  const { state, setState, act } = useExemptionAction(() => {
    setOpen(false);
    onChange();
  });

  if (exemption && exemption.status !== 'rejected') {
    return (
      <Box aria-label={`Exemption of ${checkId}`}>
        <Typography
          variant="body2"
          color={exemption.status === 'approved' ? 'info.main' : 'warning.main'}
        >
          {exemption.status === 'approved'
            ? `Waived until ${day(exemption.expiresAt)}, requested by ${
                exemption.createdBy
              } and approved by ${exemption.approvedBy}: ${
                exemption.justification
              }${
                exemption.approvalComment
                  ? `. ${exemption.approvedBy} said: ${exemption.approvalComment}`
                  : ''
              }`
            : `Exemption requested by ${exemption.createdBy} until ${day(
                exemption.expiresAt,
              )}, waiting for someone else to approve it: ${
                exemption.justification
              }`}
        </Typography>
        <ExemptionActions exemption={exemption} onChange={onChange} />
      </Box>
    );
  }
  // A rejected request says why; the check may be asked for again, differently.
  const rejection = exemption && (
    <Typography
      variant="body2"
      color="error.main"
      aria-label={`Exemption of ${checkId}`}
    >
      {`Exemption requested by ${exemption.createdBy} rejected by ${exemption.rejectedBy}: ${exemption.rejectionComment}`}
    </Typography>
  );
  if (!failing || !mayRequest.allowed) return rejection ?? null;
  return (
    <>
      {rejection}
      <Button
        size="small"
        onClick={() => {
          setDraft({ justification: '', expiresAt: inDays(30) });
          setState({ busy: false });
          setOpen(true);
        }}
      >
        Request exemption
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        aria-labelledby={`exemption-${checkId}`}
      >
        <DialogTitle id={`exemption-${checkId}`}>
          Request an exemption from “{title}”
        </DialogTitle>
        <DialogContent sx={{ display: 'grid', gap: 2, minWidth: 440 }}>
          <Typography variant="body2" color="text.secondary">
            The check stays failing until someone else approves the request;
            then it is waived until the date below.
          </Typography>
          <TextField
            label="Justification"
            multiline
            minRows={3}
            value={draft.justification}
            onChange={e =>
              setDraft(d => ({ ...d, justification: e.target.value }))
            }
          />
          <TextField
            label="Expires on"
            type="date"
            InputLabelProps={{ shrink: true }}
            value={draft.expiresAt}
            onChange={e => setDraft(d => ({ ...d, expiresAt: e.target.value }))}
          />
          {state.error && <Alert severity="error">{state.error}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button
            variant="contained"
            disabled={state.busy}
            onClick={() =>
              act(() =>
                api.createExemption({
                  entityRef,
                  checkId,
                  justification: draft.justification,
                  expiresAt: draft.expiresAt
                    ? new Date(`${draft.expiresAt}T23:59:59Z`).toISOString()
                    : '',
                }),
              )
            }
          >
            Request
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/**
 * What may be done to an exemption, as the permission framework allows: Approve or Reject, with a
 * comment for the requester (someone else's request, for approvers), and Withdraw (the entity's
 * owners and admins). Failures are shown beside the buttons in the backend's words.
 */
export function ExemptionActions(props: {
  exemption: Exemption;
  onChange: () => void;
}) {
  const { exemption, onChange } = props;
  const api = useApi(complianceApiRef);
  const identity = useApi(identityApiRef);
  const [me, setMe] = useState<string>();
  useEffect(() => {
    identity.getBackstageIdentity().then(i => setMe(i.userEntityRef));
  }, [identity]);
  const mayWithdraw = usePermission({
    permission: complianceExemptionDeletePermission,
    resourceRef: exemption.entityRef,
  });
  const mayApprove = usePermission({
    permission: complianceExemptionApprovePermission,
  });
  const { state, act } = useExemptionAction(onChange);
  // The decision being made in the dialog, with the approver's words to the requester.
  const [deciding, setDeciding] = useState<'approve' | 'reject'>();
  const [comment, setComment] = useState('');
  const decision = useExemptionAction(() => {
    setDeciding(undefined);
    onChange();
  });
  const own = me === exemption.createdBy;
  const decidable =
    exemption.status === 'requested' && mayApprove.allowed && !own;
  const open = (action: 'approve' | 'reject') => {
    setComment('');
    decision.setState({ busy: false });
    setDeciding(action);
  };
  return (
    <>
      {decidable && (
        <>
          <Button
            size="small"
            disabled={state.busy}
            onClick={() => open('approve')}
          >
            Approve
          </Button>
          <Button
            size="small"
            color="error"
            disabled={state.busy}
            onClick={() => open('reject')}
          >
            Reject
          </Button>
          <Dialog
            open={deciding !== undefined}
            onClose={() => setDeciding(undefined)}
            aria-labelledby={`decide-${exemption.id}`}
          >
            <DialogTitle id={`decide-${exemption.id}`}>
              {deciding === 'reject' ? 'Reject' : 'Approve'} the exemption from{' '}
              {exemption.checkId} of {exemption.entityRef}
            </DialogTitle>
            <DialogContent sx={{ display: 'grid', gap: 2, minWidth: 440 }}>
              <Typography variant="body2" color="text.secondary">
                {exemption.createdBy} asked: {exemption.justification}.{' '}
                {deciding === 'reject'
                  ? 'They are told your comment, and may request again.'
                  : `Approved, the check is waived until ${day(
                      exemption.expiresAt,
                    )}; they are told, with your comment if you write one.`}
              </Typography>
              <TextField
                label={deciding === 'reject' ? 'Comment' : 'Comment (optional)'}
                multiline
                minRows={3}
                value={comment}
                onChange={e => setComment(e.target.value)}
              />
              {decision.state.error && (
                <Alert severity="error">{decision.state.error}</Alert>
              )}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setDeciding(undefined)}>Cancel</Button>
              <Button
                variant="contained"
                color={deciding === 'reject' ? 'error' : 'primary'}
                disabled={decision.state.busy}
                onClick={() =>
                  decision.act(() =>
                    deciding === 'reject'
                      ? api.rejectExemption(exemption.id, comment)
                      : api.approveExemption(exemption.id, comment),
                  )
                }
              >
                {deciding === 'reject' ? 'Reject' : 'Approve'}
              </Button>
            </DialogActions>
          </Dialog>
        </>
      )}
      {mayWithdraw.allowed && (
        <Button
          size="small"
          disabled={state.busy}
          onClick={() => act(() => api.deleteExemption(exemption.id))}
        >
          Withdraw
        </Button>
      )}
      {state.error && <Alert severity="error">{state.error}</Alert>}
    </>
  );
}
