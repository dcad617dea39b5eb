import express from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  AuthService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  PermissionRuleset,
} from '@backstage/plugin-permission-node';
import {
  DefinitionPublication,
  definitionPublishPermission,
  definitionUnpublishPermission,
  publishRequestSchema,
  PublishResult,
} from '@konductor/plugin-provisioning-common';
import type { Publications } from './Publications';
import { PUBLISHED_KINDS } from './PublicationGate';

/**
 * `/api/catalog/konductor/publications`: the URLs template authors published (read by everyone
 * signed in), and publishing one. Publishing reads the URL through the catalog with the author's
 * own credentials (the catalog's location permission applies), refuses what the catalog would
 * refuse with its processing errors, and registers the location; `dryRun` shows what it holds
 * and publishes nothing. Unpublishing removes the location, so that what it held leaves the catalog:
 * decided here on the publication, then done as this plugin, since removing catalog locations is an
 * admin's permission.
 */
export function createPublicationsRouter(options: {
  publications: Publications;
  catalog: CatalogService;
  httpAuth: HttpAuthService;
  auth: AuthService;
  permissions: PermissionsService;
  /** The rules of the `konductor-publication` resource type, which the policy's conditions name. */
  publicationRules: PermissionRuleset<
    DefinitionPublication,
    { publishedBy: string[] },
    'konductor-publication'
  >;
  auditor: AuditorService;
}): express.Router {
  const { publications, catalog, httpAuth, auth, permissions, auditor } =
    options;
  const mayUnpublish = createConditionAuthorizer(options.publicationRules);
  const router = Router();
  router.use(express.json());

  router.get('/konductor/publications', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({ items: await publications.list() });
  });

  router.post('/konductor/publications', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const parsed = publishRequestSchema.safeParse(req.body);
    if (!parsed.success)
      throw new InputError(
        parsed.error.issues
          .map(i => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; '),
      );
    const { target, dryRun = false } = parsed.data;
    const [decision] = await permissions.authorize(
      [{ permission: definitionPublishPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        "Only template authors and platform admins publish service definitions and templates: ask a platform admin to add you to a template authors' group",
      );
    const audit = dryRun
      ? undefined
      : await auditor.createEvent({
          eventId: 'definition-publish',
          severityLevel: 'medium',
          request: req,
          meta: { target },
        });
    // The gate reads the publication while the catalog processes the URL, dry run included.
    const before = await publications.get(target);
    const added = await publications.add(
      target,
      credentials.principal.userEntityRef,
    );
    let published = false;
    try {
      const preview = await catalog
        .addLocation({ type: 'url', target, dryRun: true }, { credentials })
        .catch(refusal);
      const origin = `url:${target}`;
      const held = preview.entities.filter(
        e =>
          !(
            e.kind === 'Location' &&
            e.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] === origin &&
            e.metadata.name.startsWith('generated-')
          ),
      );
      if (!held.some(e => PUBLISHED_KINDS.includes(e.kind)))
        throw new InputError(
          `${target} holds no ${PUBLISHED_KINDS.join(
            ' or ',
          )}: publish the file of a definition, or a Location listing definitions`,
        );
      if (!dryRun) {
        // Registered anew (after being unregistered): its new location is bound once it exists.
        if (!preview.exists) await publications.bind(target, null);
        const location = preview.exists
          ? await catalog.getLocationByRef(origin, { credentials })
          : (
              await catalog
                .addLocation({ type: 'url', target }, { credentials })
                .catch(refusal)
            ).location;
        if (location) await publications.bind(target, location.id);
        if (preview.exists) await refreshLocationOf(preview.entities, origin);
        published = true;
      }
      await audit?.success();
      const result: PublishResult = {
        target,
        dryRun,
        existed: !added,
        entities: held.map(e => ({
          kind: e.kind,
          namespace: e.metadata.namespace ?? 'default',
          name: e.metadata.name,
          title: e.metadata.title,
        })),
      };
      res.status(dryRun ? 200 : 201).json(result);
    } catch (error) {
      await audit?.fail({ error: error as Error });
      throw error;
    } finally {
      if (added && !published) await publications.remove(target);
      // A registration anew that failed leaves the URL bound as it was.
      else if (!published && before?.locationId)
        await publications.bind(target, before.locationId);
    }

    /** A location registered before (refused then, by someone else): read again now. */
    async function refreshLocationOf(entities: Entity[], origin: string) {
      const location = entities.find(
        e =>
          e.kind === 'Location' &&
          e.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] === origin,
      );
      if (location)
        await catalog.refreshEntity(stringifyEntityRef(location), {
          credentials,
        });
    }
  });

  router.delete('/konductor/publications', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const target = req.query.target;
    if (typeof target !== 'string' || !target)
      throw new InputError(
        'target: the published URL to unpublish, as ?target=<url>',
      );
    const publication = await publications.get(target);
    if (!publication)
      throw new NotFoundError(
        `${target} is not published: nothing to unpublish`,
      );
    // The policy's conditions (its publisher) are applied here, to the publication.
    const [decision] = await permissions.authorizeConditional(
      [{ permission: definitionUnpublishPermission }],
      { credentials },
    );
    if (!mayUnpublish(decision, publication))
      throw new NotAllowedError(
        `You may not unpublish ${target}: whoever published it (while a template author) and platform admins may`,
      );
    const audit = await auditor.createEvent({
      eventId: 'definition-unpublish',
      severityLevel: 'medium',
      request: req,
      meta: { target },
    });
    try {
      // Its location goes first: the catalog deletes what the location alone held. The decision
      // was made above, on the publication; the catalog's own location permission is admins'.
      if (publication.locationId)
        await catalog
          .removeLocationById(publication.locationId, {
            credentials: await auth.getOwnServiceCredentials(),
          })
          .catch(error => {
            // Unregistered already (from an entity's page): the record alone is left.
            if (
              !(error instanceof ResponseError && error.response.status === 404)
            )
              throw error;
          });
      await publications.remove(target);
      await audit.success();
    } catch (error) {
      await audit.fail({ error: error as Error });
      throw error;
    }
    res.status(204).end();
  });

  return router;
}

/**
 * The catalog's refusal of a URL as the author's error: its processing errors, without the names of
 * the processors and error classes they passed through.
 */
function refusal(error: unknown): never {
  if (error instanceof ResponseError) {
    const message = error.body.error.message
      .replace(
        /(?:\w*Error: )?Processor \S+ threw an error while [^;]*; caused by /g,
        '',
      )
      .replace(/(^|, )\w*Error: /g, '$1');
    if (error.response.status === 403) throw new NotAllowedError(message);
    if (error.response.status < 500) throw new InputError(message);
  }
  throw error;
}
