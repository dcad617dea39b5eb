import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link as RouterLink, useLocation } from 'react-router-dom';
import { stringify } from 'yaml';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import LinearProgress from '@mui/material/LinearProgress';
import Link from '@mui/material/Link';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef, useEntity } from '@backstage/plugin-catalog-react';
import type { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import {
  scaffolderApiRef,
  SecretsContextProvider,
  type FieldExtensionOptions,
} from '@backstage/plugin-scaffolder-react';
import {
  formFieldsApiRef,
  Stepper,
  useFilteredSchemaProperties,
  useTemplateParameterSchema,
} from '@backstage/plugin-scaffolder-react/alpha';
import type { JsonObject } from '@backstage/types';
import { previewStacks, type StackPreview } from '../fields/stackPreview';
import {
  StackTable,
  type EmbeddedTemplateRef,
} from '../fields/StackSummaryField';
import { defaultValues } from './defaultValues';

type Loaded<T> = { value?: T; error?: Error };

/** The stacks a form would provision with `values`, or why they could not be planned. */
function Plans(props: { state: Loaded<StackPreview[]>; manual: string }) {
  const { value, error } = props.state;
  if (error)
    return (
      <Alert severity="error">
        The stack could not be planned: {error.message}
      </Alert>
    );
  if (!value) return <LinearProgress aria-label="Planning the stack" />;
  if (!value.length) return <Typography>{props.manual}</Typography>;
  return (
    <>
      {value.map(p => (
        <StackTable key={p.step} preview={p} />
      ))}
    </>
  );
}

/** Whether a template provisions a cloud stack (otherwise it opens a ticket). */
const provisions = (template: TemplateEntityV1beta3) =>
  template.spec.steps.some(s => s.action === 'konductor:stack:provision');

/** The plan of the form's default values, completed with samples where a field has none. */
function DefaultsPlan(props: {
  template: TemplateEntityV1beta3;
  manual: string;
}) {
  const { template } = props;
  const scaffolder = useApi(scaffolderApiRef);
  const defaults = useMemo(() => defaultValues(template), [template]);
  const planned = provisions(template) && !defaults.missing.length;
  const [state, setState] = useState<Loaded<StackPreview[]>>({});
  useEffect(() => {
    if (!planned) return undefined;
    let cancelled = false;
    setState({});
    previewStacks(scaffolder, template, defaults.values).then(
      value => !cancelled && setState({ value }),
      error => !cancelled && setState({ error }),
    );
    return () => {
      cancelled = true;
    };
  }, [scaffolder, template, defaults, planned]);

  if (!provisions(template)) return <Typography>{props.manual}</Typography>;
  return (
    <>
      {defaults.samples.length > 0 && (
        <Typography variant="body2">
          With samples for the fields that have no default:{' '}
          {defaults.samples
            .map(s => `${s.title} = ${JSON.stringify(s.value)}`)
            .join(', ')}
          .
        </Typography>
      )}
      {planned ? (
        <Plans state={state} manual={props.manual} />
      ) : (
        <Alert severity="info">
          It needs {defaults.missing.join(', ')}, which the form leaves empty:
          choose them in the form below and Try it.
        </Alert>
      )}
    </>
  );
}

/** The form's field extensions, as the scaffolder's own pages load them. */
function useFieldExtensions(): FieldExtensionOptions[] | undefined {
  const formFields = useApi(formFieldsApiRef);
  const [extensions, setExtensions] = useState<FieldExtensionOptions[]>();
  useEffect(() => {
    let cancelled = false;
    formFields.loadFormFields().then(fields => {
      if (cancelled) return;
      // A loaded form field is its options (name, component, validation) behind an opaque type.
      setExtensions(
        fields.map(field => {
          const options = field as unknown as FieldExtensionOptions & {
            schema?: { schema?: unknown };
          };
          return {
            ...options,
            schema: options.schema?.schema ?? options.schema,
          } as FieldExtensionOptions;
        }),
      );
    });
    return () => {
      cancelled = true;
    };
  }, [formFields]);
  return extensions;
}

/** The form developers get, whose last button plans what it would create instead of creating it. */
function FormPreview(props: {
  template: TemplateEntityV1beta3;
  manual: string;
}) {
  const { template } = props;
  const scaffolder = useApi(scaffolderApiRef);
  const extensions = useFieldExtensions();
  const ref = useMemo<EmbeddedTemplateRef>(
    () => ({
      namespace: template.metadata.namespace ?? 'default',
      name: template.metadata.name,
    }),
    [template],
  );
  const { manifest, error } = useTemplateParameterSchema(
    `template:${ref.namespace}/${ref.name}`,
  );
  const sorted = useFilteredSchemaProperties(manifest);
  const [tried, setTried] = useState<Loaded<StackPreview[]>>();
  const result = useRef<HTMLDivElement>(null);
  const tryIt = useCallback(
    async (values: JsonObject) => {
      setTried({});
      try {
        setTried({ value: await previewStacks(scaffolder, template, values) });
      } catch (e) {
        setTried({ error: e as Error });
      }
      result.current?.scrollIntoView({ block: 'nearest' });
    },
    [scaffolder, template],
  );
  const formProps = useMemo(
    () => ({ formContext: { templateRef: ref } }),
    [ref],
  );

  if (error)
    return (
      <Alert severity="error">
        The form could not be loaded: {error.message}
      </Alert>
    );
  if (!sorted || !extensions)
    return <LinearProgress aria-label="Loading the form" />;
  return (
    <SecretsContextProvider>
      <Stepper
        manifest={sorted}
        extensions={extensions}
        formProps={formProps}
        onCreate={tryIt}
        components={{ createButtonText: 'Try it' }}
      />
      <Box
        ref={result}
        aria-label="Try it"
        sx={{ display: 'grid', gap: 1, mt: 2 }}
      >
        {tried && (
          <>
            <Alert severity="info">
              Try it planned these values: nothing was created, and no run was
              recorded.
            </Alert>
            <Plans state={tried} manual={props.manual} />
          </>
        )}
      </Box>
    </SecretsContextProvider>
  );
}

/**
 * A service definition's "Offering" tab, for its authors and for the developers choosing it: the
 * plan and cost of its form's default values, the form itself (the one on Create) with *Try it*
 * in place of Create, which plans the values entered and creates nothing, and the definition's
 * spec. The plans are scaffolder dry-runs of the generated Template's stack steps.
 */
export function EntityOfferingContent() {
  const { entity } = useEntity();
  const { pathname } = useLocation();
  const catalog = useApi(catalogApiRef);
  const [template, setTemplate] = useState<
    Loaded<TemplateEntityV1beta3 | null>
  >({});
  const namespace = entity.metadata.namespace ?? 'default';
  const name = entity.metadata.name;
  const spec = (entity.spec ?? {}) as JsonObject;
  const fulfilment = (spec.fulfilment ?? {}) as JsonObject;
  const manual =
    fulfilment.mode === 'manual'
      ? `This offering is fulfilled by the platform team: a request opens a ticket in Jira project ${
          (fulfilment.manual as JsonObject | undefined)?.projectKey ?? '?'
        }, and nothing is provisioned by the portal.`
      : 'This offering provisions no cloud stack.';

  useEffect(() => {
    let cancelled = false;
    catalog.getEntityByRef({ kind: 'Template', namespace, name }).then(
      found =>
        !cancelled &&
        setTemplate({
          value: (found as TemplateEntityV1beta3 | undefined) ?? null,
        }),
      error => !cancelled && setTemplate({ error }),
    );
    return () => {
      cancelled = true;
    };
  }, [catalog, namespace, name]);

  return (
    <Box sx={{ display: 'grid', gap: 2, p: 1 }}>
      {template.error && (
        <Alert severity="error">
          Its form could not be read: {template.error.message}
        </Alert>
      )}
      {template.value === null && (
        <Alert severity="warning">
          <AlertTitle>This definition has no form on Create</AlertTitle>
          The catalog refused it: its processing errors, above, say what to
          change in the file.
        </Alert>
      )}
      {!template.value && !template.error && template.value !== null && (
        <LinearProgress aria-label="Loading its form" />
      )}
      {template.value && (
        <Card>
          <CardHeader
            title="Plan for its default values"
            subheader="What a request left as the form opens would create, and its monthly cost"
          />
          <CardContent sx={{ display: 'grid', gap: 1 }}>
            <DefaultsPlan template={template.value} manual={manual} />
          </CardContent>
        </Card>
      )}
      {template.value && (
        <Card>
          <CardHeader
            title="Its form"
            subheader="The form developers get on Create. Try it plans what you entered and creates nothing."
          />
          <CardContent>
            <FormPreview template={template.value} manual={manual} />
          </CardContent>
        </Card>
      )}
      <Card>
        <CardHeader
          title="Definition"
          subheader={
            <>
              Its spec, as the catalog holds it. The runs of its form are on the{' '}
              <Link
                component={RouterLink}
                to={pathname.replace(/\/offering\/?$/, '/provisioning')}
              >
                Provisioning
              </Link>{' '}
              tab.
            </>
          }
        />
        <CardContent>
          <Box
            component="pre"
            aria-label="Spec"
            sx={{ m: 0, overflowX: 'auto', fontSize: '0.85rem' }}
          >
            {stringify(spec)}
          </Box>
        </CardContent>
      </Card>
    </Box>
  );
}
