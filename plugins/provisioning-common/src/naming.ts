/**
 * GitHub's rules for a repository name, as the form checks them while you type and the action
 * checks them again: what is wrong, or undefined when the name is fine.
 */
export function repoNameProblem(name: string): string | undefined {
  if (!name) return 'a repository name is required';
  if (name.length > 100) return 'at most 100 characters';
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    return 'only letters, digits, ".", "-" and "_"';
  if (name === '.' || name === '..') return `"${name}" is reserved`;
  if (name.toLowerCase().endsWith('.git')) return 'must not end in .git';
  return undefined;
}
