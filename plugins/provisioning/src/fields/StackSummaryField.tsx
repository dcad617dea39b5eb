import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useParams } from 'react-router-dom';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  catalogApiRef,
  EntityDisplayName,
} from '@backstage/plugin-catalog-react';
import {
  scaffolderApiRef,
  type FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import type { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import type { JsonObject } from '@backstage/types';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import {
  approvalsInbox,
  usd,
  type BudgetStanding,
  type ChangePlan,
  type ResourceChange,
  specValueText,
} from '@konductor/plugin-provisioning-common';
import { GateVerdictOutput, previewStacks, StackPreview } from './stackPreview';
import type { FormFieldRef } from './formFieldOf';
import { goToField } from './goToField';
import { People } from '../components/People';

/** What a change plan adds to the summary line. */
function changeSummary(changes: ChangePlan): string {
  if (changes.refusals.length) return '; change refused';
  const changed = changes.resources.filter(r => r.action !== 'none').length;
  return changed
    ? `; changes ${changed} of version ${changes.fromVersion}'s resources`
    : `; no change to version ${changes.fromVersion}`;
}

const ACTIONS: Record<ResourceChange['action'], string> = {
  none: 'no change',
  update: 'update in place',
  create: 'create',
  delete: 'delete',
  refused: 'refused',
};

/** What a new spec of an existing stack changes, resource by resource, against its version. */
function ChangeTable({
  stack,
  changes,
}: {
  stack: string;
  changes: ChangePlan;
}) {
  return (
    <>
      <Typography variant="subtitle1">
        {stack} exists: changes to its version {changes.fromVersion},{' '}
        <strong>
          {usd(changes.monthlyCostBefore)} → {usd(changes.monthlyCostAfter)}
          /month
        </strong>
      </Typography>
      {changes.driftScannedAt && (
        <Typography variant="body2" color="text.secondary">
          From what the cloud has, as the drift scan of{' '}
          {new Date(changes.driftScannedAt).toLocaleString()} found it:{' '}
          {changes.resources.some(r => r.action !== 'none')
            ? 'the run also reverts what changed outside Konductor.'
            : 'the run changes nothing in the cloud and keeps these values as the desired state.'}
        </Typography>
      )}
      <Table size="small" aria-label={`Changes to ${stack}`}>
        <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
          <TableRow>
            <TableCell>Resource</TableCell>
            <TableCell>Change</TableCell>
            <TableCell>Fields</TableCell>
            <TableCell align="right">Per month</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {changes.resources.map(r => (
            <TableRow key={r.resource}>
              <TableCell>{r.resource}</TableCell>
              <TableCell>
                {ACTIONS[r.action]}
                {r.interrupts ? ', interrupts service' : ''}
              </TableCell>
              <TableCell>
                {r.changes
                  .map(
                    c =>
                      `${c.path}: ${specValueText(c.before)} → ${specValueText(
                        c.after,
                      )}`,
                  )
                  .join('; ') || '-'}
              </TableCell>
              <TableCell align="right">
                {r.monthlyCostBefore === r.monthlyCostAfter
                  ? usd(r.monthlyCostAfter)
                  : `${usd(r.monthlyCostBefore)} → ${usd(r.monthlyCostAfter)}`}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {changes.refusals.length > 0 && (
        <Alert severity="error">
          <AlertTitle>
            Konductor cannot make this change: nothing will be changed
          </AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {changes.refusals.map(message => (
              <li key={message}>{message}</li>
            ))}
          </Box>
        </Alert>
      )}
    </>
  );
}

/** The request in its owner's budget and quota: what they commit, what this adds, the limits. */
function BudgetPanel({
  standing,
  toApproval,
}: {
  standing: BudgetStanding;
  /** Whether a request over budget waits for approval instead of being refused. */
  toApproval: boolean;
}) {
  const { budget, adds, newStack, refusal } = standing;
  if (budget.source === 'none') return null;
  const after = budget.committed + adds;
  const lines = [
    budget.monthlyCost !== null &&
      `Budget: ${usd(budget.monthlyCost)}/month. Committed: ${usd(
        budget.committed,
      )}. This request ${adds >= 0 ? 'adds' : 'saves'} ${usd(
        Math.abs(adds),
      )}: ${usd(after)} (${Math.round(
        budget.monthlyCost ? (after / budget.monthlyCost) * 100 : 100,
      )} % of the budget).`,
    budget.stacks !== null &&
      `Stacks: ${budget.stackCount} of ${budget.stacks}${
        newStack ? ', and this request adds one' : ''
      }.`,
  ].filter(Boolean);
  const title = (
    <>
      <EntityDisplayName entityRef={budget.owner} hideIcon /> in{' '}
      {budget.environment}
    </>
  );
  return refusal ? (
    <Alert severity={toApproval ? 'warning' : 'error'} aria-label="Budget">
      <AlertTitle>
        Over the budget or quota of {title}:{' '}
        {toApproval ? 'the run waits for approval' : 'nothing will be created'}
      </AlertTitle>
      {refusal}
      {lines.map(line => (
        <div key={line as string}>{line}</div>
      ))}
    </Alert>
  ) : (
    <Alert severity="info" aria-label="Budget">
      <AlertTitle>Within the budget of {title}</AlertTitle>
      {lines.map(line => (
        <div key={line as string}>{line}</div>
      ))}
    </Alert>
  );
}

/** The field's value: one line per stack, shown again on the review step. */
export function summaryLine(previews: StackPreview[]): string {
  return previews
    .map(
      p =>
        `${p.plan.stack}: ${usd(p.plan.monthlyCost)}/month; compliance (${
          p.compliance.level
        }): ${p.compliance.allowed ? 'passes' : 'refused'}${
          p.ownership && !p.ownership.available ? '; name: unavailable' : ''
        }${
          p.ownership?.budget?.refusal && !p.ownership.approval
            ? '; over budget'
            : ''
        }${p.ownership?.approval ? '; waits for approval' : ''}${
          p.preflight.length ? '; cannot be created' : ''
        }${p.changes ? changeSummary(p.changes) : ''}`,
    )
    .join('\n');
}

/**
 * What the gate asks to change, in the form's words where the form sets it: the field's label and
 * page instead of its spec path. What the template itself sets is named by its path.
 */
export function Violation(props: {
  violation: GateVerdictOutput['violations'][number];
  formFields: StackPreview['formFields'];
  /** Takes the developer to a field of the form (on the form's own plan page). */
  onGoToField?: (field: FormFieldRef) => void;
}) {
  const { violation: v, formFields, onGoToField } = props;
  const onForm = v.fields.every(f => formFields[f]);
  const label = (path: string) =>
    `"${formFields[path].title}"${
      formFields[path].page ? ` (page ${formFields[path].page})` : ''
    }`;
  const remediation = onForm
    ? v.fields.reduce(
        (text, path) => text.split(path).join(label(path)),
        v.remediation,
      )
    : v.remediation;
  return (
    <>
      <strong>{v.resource}</strong>: {v.message} {remediation} (
      {v.controls.join(', ')}
      {onForm
        ? ''
        : `; change ${v.fields.join(
            ', ',
          )}, which this template sets: ask its authors`}
      )
      {onForm &&
        onGoToField &&
        // One button a field, however many of the paths it sets the gate names.
        [
          ...new Map(
            v.fields.map(path => [formFields[path].name, formFields[path]]),
          ).values(),
        ].map(field => (
          <Button
            key={field.name}
            size="small"
            sx={{ ml: 1, py: 0 }}
            onClick={() => onGoToField(field)}
          >
            Change "{field.title}"
          </Button>
        ))}
    </>
  );
}

/** One stack's plan: resources in order, cost, and what would stop it (name, budget, provider, gate). */
export function StackTable({
  preview,
  onGoToField,
}: {
  preview: StackPreview;
  onGoToField?: (field: FormFieldRef) => void;
}) {
  const { plan, compliance, ownership, preflight, changes } = preview;
  const wave = (id: (typeof plan.waves)[number][number]) =>
    plan.waves.findIndex(w => w.includes(id)) + 1;
  return (
    <Box sx={{ display: 'grid', gap: 1 }}>
      {changes && <ChangeTable stack={plan.stack} changes={changes} />}
      <Typography variant="subtitle1">
        {plan.stack} in {plan.region}: {plan.resources.length}{' '}
        {plan.resources.length === 1 ? 'resource' : 'resources'},{' '}
        <strong>{usd(plan.monthlyCost)}/month</strong> (estimate)
      </Typography>
      <Table size="small" aria-label={`Plan of ${plan.stack}`}>
        <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
          <TableRow>
            <TableCell>Order</TableCell>
            <TableCell>Resource</TableCell>
            <TableCell>What is created</TableCell>
            <TableCell>After</TableCell>
            <TableCell align="right">Per month</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {plan.resources.map(r => (
            <TableRow key={r.id}>
              <TableCell>{wave(r.id)}</TableCell>
              <TableCell>
                {r.id}
                {r.kind && r.kind !== r.id ? ` (${r.kind})` : ''}
              </TableCell>
              <TableCell>{r.summary}</TableCell>
              <TableCell>{r.dependsOn.join(', ') || '-'}</TableCell>
              <TableCell align="right">{usd(r.monthlyCost)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {ownership && !ownership.available && (
        <Alert severity="error">
          <AlertTitle>
            The stack name is not available: nothing will be created
          </AlertTitle>
          {ownership.reason}
        </Alert>
      )}
      {ownership?.available && ownership.budget && (
        <BudgetPanel
          standing={ownership.budget}
          toApproval={!!ownership.approval}
        />
      )}
      {ownership?.available && ownership.approval && (
        <Alert severity="warning" aria-label="Approval">
          <AlertTitle>
            This run waits for approval before anything is created or changed
          </AlertTitle>
          {ownership.approval.reasons.join('; ')}.{' '}
          <People refs={ownership.approval.approvers} joiner=" or " /> may
          approve it in {approvalsInbox.label}; you will be notified, and the
          run goes on by itself once it is approved. You cannot approve your own
          request.
        </Alert>
      )}
      {preflight.length > 0 && (
        <Alert severity="error">
          <AlertTitle>
            The platform cannot create this stack as it is: nothing will be
            created
          </AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {preflight.map(message => (
              <li key={message}>{message}</li>
            ))}
          </Box>
        </Alert>
      )}
      {compliance.allowed ? (
        <Alert severity="success">
          Passes the compliance gate at the {compliance.level} level (
          {compliance.environment}).
        </Alert>
      ) : (
        <Alert severity="error">
          <AlertTitle>
            Refused by the compliance gate at the {compliance.level} level (
            {compliance.environment}): nothing will be created
          </AlertTitle>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {compliance.violations.map(v => (
              <li key={`${v.resource}-${v.checkId}`}>
                <Violation
                  violation={v}
                  formFields={preview.formFields}
                  onGoToField={onGoToField}
                />
              </li>
            ))}
          </Box>
        </Alert>
      )}
    </Box>
  );
}

/** The form context of a template's form shown outside the scaffolder's `/create` route. */
export interface EmbeddedTemplateRef {
  namespace: string;
  name: string;
}

/**
 * `KonductorStackSummary`: put it on a template's last page. It previews every stack the
 * template would provision with what was entered so far (a scaffolder dry-run of the stack
 * steps: resources in order, monthly cost, the compliance gate's verdict), and its value, one
 * line per stack with cost and verdict, is shown on the review step. A stack the gate refuses
 * blocks the form; the stack action runs the same gate again when the task runs.
 */
export function StackSummaryField(props: FieldExtensionComponentProps<string>) {
  const { onChange, formContext, name, schema } = props;
  const params = useParams();
  // Outside the scaffolder's route (a definition's Offering tab), the page says whose form it is.
  const embedded = formContext?.templateRef as EmbeddedTemplateRef | undefined;
  const namespace = embedded?.namespace ?? params.namespace ?? 'default';
  const templateName = embedded?.name ?? params.templateName;
  const catalog = useApi(catalogApiRef);
  const scaffolder = useApi(scaffolderApiRef);
  const values = useMemo(() => {
    const { [name]: _own, ...rest } = (formContext?.formData ??
      {}) as JsonObject;
    return rest;
  }, [formContext, name]);
  const key = JSON.stringify(values);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{
    previews?: StackPreview[];
    error?: Error;
  }>({});

  useEffect(() => {
    let cancelled = false;
    setState({});
    (async () => {
      if (!templateName)
        throw new Error('The stack summary works inside a template form');
      const template = (await catalog.getEntityByRef({
        kind: 'Template',
        namespace,
        name: templateName,
      })) as TemplateEntityV1beta3 | undefined;
      if (!template)
        throw new Error(`No template ${namespace}/${templateName}`);
      return previewStacks(scaffolder, template, JSON.parse(key));
    })().then(
      previews => {
        if (cancelled) return;
        setState({ previews });
        onChange(previews.length ? summaryLine(previews) : 'no cloud stack');
      },
      error => {
        if (cancelled) return;
        setState({ error });
        onChange(undefined);
      },
    );
    return () => {
      cancelled = true;
    };
    // onChange changes identity on every render; the preview depends on the values only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalog, scaffolder, namespace, templateName, key, attempt]);

  const summary = useRef<HTMLDivElement>(null);
  const goTo = useCallback((field: FormFieldRef) => {
    if (summary.current) goToField(field, summary.current);
  }, []);

  return (
    <Box
      ref={summary}
      sx={{ display: 'grid', gap: 2, my: 1 }}
      aria-label="Stack summary"
    >
      <Typography variant="h6">{schema.title ?? 'Stack summary'}</Typography>
      {!state.previews && !state.error && (
        <LinearProgress aria-label="Planning the stack" />
      )}
      {state.error && (
        <Alert
          severity="error"
          action={<Button onClick={() => setAttempt(a => a + 1)}>Retry</Button>}
        >
          The stack could not be planned: {state.error.message}
        </Alert>
      )}
      {state.previews?.length === 0 && (
        <Typography>This template provisions no cloud stack.</Typography>
      )}
      {state.previews?.map(p => (
        <StackTable key={p.step} preview={p} onGoToField={goTo} />
      ))}
    </Box>
  );
}

/** Client-side: the form cannot go on to review without a plan, with a refused stack or a name it may not have. */
export function validateStackSummary(
  value: string | undefined,
  validation: { addError(message: string): void },
) {
  if (!value)
    validation.addError(
      'The stack has not been planned yet: wait for the summary, or fix what it reports',
    );
  else if (value.includes(': refused'))
    validation.addError(
      'The compliance gate refuses this stack: go back and change the fields it lists',
    );
  else if (value.includes('name: unavailable'))
    validation.addError(
      'The stack name is not available (the plan says why): go back and choose another name, or an owner group you belong to',
    );
  else if (value.includes('; over budget'))
    validation.addError(
      "This request goes over its owner's budget or stack quota (the plan gives the numbers): go back and choose smaller resources, or ask a platform admin",
    );
  else if (value.includes('; change refused'))
    validation.addError(
      'Konductor cannot make this change to the existing stack (the plan says why): go back and change what it lists',
    );
  else if (value.includes('; cannot be created'))
    validation.addError(
      'The platform cannot create this stack as it is (the plan says why): go back and change what it lists',
    );
}
