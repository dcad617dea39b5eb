import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { Octokit } from '@octokit/rest';
import { statusOf } from './githubClient';

/** Where Backstage's GitHub org provider writes a group's team: `<organisation>/<team slug>`. */
export const TEAM_SLUG_ANNOTATION = 'github.com/team-slug';

/**
 * The slug of the GitHub team of `org` that `ownerTeam` names, checked on GitHub before anything
 * is created. `ownerTeam` is a team slug, or a catalog group (`group:default/payments`) that is a
 * team of `org`: one Backstage's GitHub org provider imported, with its team in
 * {@link TEAM_SLUG_ANNOTATION}. A group that is no GitHub team, or a team of another organisation,
 * is refused, saying what to choose instead.
 */
export async function owningTeam(options: {
  ownerTeam: string;
  org: string;
  octokit: Octokit;
  catalog: CatalogService;
  credentials: BackstageCredentials;
}): Promise<string> {
  const { ownerTeam, org, octokit } = options;
  let slug = ownerTeam;
  if (/[:/]/.test(ownerTeam)) {
    const ref = parseEntityRef(ownerTeam, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
    const name = stringifyEntityRef(ref);
    if (ref.kind.toLowerCase() !== 'group')
      throw new InputError(
        `ownerTeam: ${name} is not a group: name the group that owns the repository, such as group:default/team-a`,
      );
    const group = await options.catalog.getEntityByRef(ref, {
      credentials: options.credentials,
    });
    if (!group)
      throw new InputError(
        `ownerTeam: ${name} is not in the catalog: choose a group that is`,
      );
    const team = group.metadata.annotations?.[TEAM_SLUG_ANNOTATION];
    if (!team)
      throw new InputError(
        `ownerTeam: ${name} is not a GitHub team (it has no ${TEAM_SLUG_ANNOTATION} annotation, which the GitHub org provider writes on the teams it imports), so it can be given neither the repository nor its CODEOWNERS: choose a group imported from the ${org} organisation, or leave ownerTeam out`,
      );
    const [teamOrg, teamSlug] = team.split('/');
    if (!teamSlug || teamOrg.toLowerCase() !== org.toLowerCase())
      throw new InputError(
        `ownerTeam: ${name} is the GitHub team ${team}, not a team of ${org}, where the repository is created: choose a group of the ${org} organisation`,
      );
    slug = teamSlug;
  }
  await octokit.rest.teams.getByName({ org, team_slug: slug }).catch(error => {
    if (statusOf(error) !== 404) throw error;
    throw new InputError(
      `ownerTeam: the ${org} organisation has no GitHub team "${slug}": name one of its teams`,
    );
  });
  return slug;
}
