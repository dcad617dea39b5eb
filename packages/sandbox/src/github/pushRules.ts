import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_USER } from './identity';

/** The file in a bare repository listing its protected branches, for the pre-receive hook. */
const RULES = 'sandbox-protected-branches';

/**
 * The pre-receive hook of every repository: a push is refused, as GitHub refuses it, when it
 * deletes a protected branch that allows no deletions, force-pushes one that allows no force
 * pushes, or updates one that requires pull request reviews. The repository's admin (the
 * integration's user, who creates repositories) is let through unless `enforce_admins` is on.
 * Its messages reach the client as GitHub's `GH006` lines.
 */
const HOOK = `#!/bin/sh
[ -f ${RULES} ] || exit 0
zero=0000000000000000000000000000000000000000
status=0
while read old new ref; do
  branch=\${ref#refs/heads/}
  while read name enforce force deletions reviews; do
    [ "$name" = "$branch" ] || continue
    [ "$enforce" != 1 ] && [ "$REMOTE_USER" = "${SANDBOX_USER}" ] && continue
    if [ "$new" = "$zero" ]; then
      [ "$deletions" = 1 ] && continue
      reason="Cannot delete this protected branch"
    elif [ "$old" != "$zero" ] && [ "$force" != 1 ] && ! git merge-base --is-ancestor "$old" "$new"; then
      reason="Cannot force-push to this branch"
    elif [ "$reviews" = 1 ]; then
      reason="Changes must be made through a pull request."
    else
      continue
    fi
    echo "error: GH006: Protected branch update failed for $ref." >&2
    echo "error: $reason" >&2
    status=1
  done < ${RULES}
done
exit $status
`;

/** Installs the hook in a new bare repository. */
export function installPushRules(dir: string) {
  const hook = path.join(dir, 'hooks', 'pre-receive');
  fs.mkdirSync(path.dirname(hook), { recursive: true });
  fs.writeFileSync(hook, HOOK, { mode: 0o755 });
}

/** A protection setting as REST stores it: a boolean, or `{ enabled }`. */
/** Whether a protection setting is on: REST takes a boolean and answers `{ enabled }`. */
export const on = (v: unknown) =>
  (typeof v === 'object' && v !== null ? (v as any).enabled : v) ? 1 : 0;

/**
 * Why GitHub refuses a commit to `branch` through the REST API (the contents API) by `login`, by
 * the rule the hook applies to a push: a branch that requires pull request reviews takes no
 * direct commit, but from the repository's admin when admins are not included.
 */
export function protectedBranchRefusal(
  protection: Record<string, any>,
  branch: string,
  login: string | undefined,
): string | undefined {
  const p = protection[branch];
  if (!p?.required_pull_request_reviews) return undefined;
  if (!on(p.enforce_admins) && login === SANDBOX_USER) return undefined;
  return 'Changes must be made through a pull request.';
}

/** Writes the repository's branch protection (REST's bodies, per branch) where the hook reads it. */
export function writePushRules(dir: string, protection: Record<string, any>) {
  const lines = Object.entries(protection).map(([branch, p]) =>
    [
      branch,
      on(p.enforce_admins),
      on(p.allow_force_pushes),
      on(p.allow_deletions),
      p.required_pull_request_reviews ? 1 : 0,
    ].join(' '),
  );
  fs.writeFileSync(
    path.join(dir, RULES),
    lines.length ? `${lines.join('\n')}\n` : '',
  );
}
