/** One position of a pattern: the characters it takes, and how many of them. */
interface Atom {
  /** The kinds of characters, in words, in the order of CHARACTER_KINDS. */
  kinds: string[];
  min: number;
  max: number;
}

/** Character kinds, as a class names them, in the order they are told. */
const CHARACTER_KINDS: Array<[RegExp, string, string]> = [
  [/^a-z$/, 'lower-case letters', 'a lower-case letter'],
  [/^A-Z$/, 'capital letters', 'a capital letter'],
  [/^(0-9|\\d)$/, 'digits', 'a digit'],
  [/^\\?-$/, 'dashes', 'a dash'],
  [/^_$/, 'underscores', 'an underscore'],
  [/^\\?\.$/, 'dots', 'a dot'],
];

/** The kinds of characters of a class's content (`a-z0-9-`), or undefined for anything else. */
function kindsOf(content: string): string[] | undefined {
  const parts = content.match(/[a-zA-Z0-9]-[a-zA-Z0-9]|\\d|\\?[-_.]/g);
  if (!parts || parts.join('') !== content) return undefined;
  const kinds = new Set<string>();
  for (const part of parts) {
    const kind = CHARACTER_KINDS.find(([re]) => re.test(part));
    if (!kind) return undefined;
    kinds.add(kind[1]);
  }
  return CHARACTER_KINDS.map(k => k[1]).filter(k => kinds.has(k));
}

/** How many characters a quantifier (`{n}`, `{n,}`, `{n,m}`, `?`, `*`, `+`, none) takes. */
function countOf(
  quantifier: string | undefined,
  n: string | undefined,
  comma: string | undefined,
  m: string | undefined,
): [number, number] {
  if (n) {
    if (!comma) return [Number(n), Number(n)];
    return [Number(n), m ? Number(m) : Infinity];
  }
  if (quantifier === '?') return [0, 1];
  if (quantifier === '*') return [0, Infinity];
  if (quantifier === '+') return [1, Infinity];
  return [1, 1];
}

/** The atoms of `^…$` made of classes (or `\d`) with quantifiers; undefined for anything else. */
function atomsOf(pattern: string): Atom[] | undefined {
  const body = /^\^(.*)\$$/.exec(pattern)?.[1];
  if (body === undefined) return undefined;
  const atoms: Atom[] = [];
  const atom = /(\[([^\]]+)\]|\\d)(\{(\d+)(,(\d*))?\}|[?*+])?/y;
  let at = 0;
  while (at < body.length) {
    atom.lastIndex = at;
    const m = atom.exec(body);
    if (!m) return undefined;
    at = atom.lastIndex;
    const kinds = kindsOf(m[2] ?? '\\d');
    if (!kinds) return undefined;
    const [min, max] = countOf(m[3], m[4], m[5], m[6]);
    atoms.push({ kinds, min, max });
  }
  return atoms.length ? atoms : undefined;
}

const list = (words: string[]) =>
  words.length > 1
    ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
    : words[0];

const singular = (kinds: string[]) =>
  kinds.map(k => CHARACTER_KINDS.find(c => c[1] === k)![2]).join(' or ');

function length(min: number, max: number): string {
  const characters = (n: number) => `${n} character${n === 1 ? '' : 's'}`;
  if (min === max) return `exactly ${characters(min)}`;
  if (max === Infinity) return `at least ${characters(min)}`;
  return `${min} to ${characters(max)}`;
}

/**
 * A text pattern in words, as a form tells a person what to type: `^[a-z][a-z0-9-]{1,30}$` is
 * "lower-case letters, digits and dashes, starting with a lower-case letter, 2 to 31 characters".
 * Only patterns made of character classes (letters, digits, dashes, underscores, dots) with
 * quantifiers are put in words; for any other, undefined.
 */
export function patternInWords(pattern: string): string | undefined {
  const atoms = atomsOf(pattern);
  if (!atoms) return undefined;
  const [first, ...rest] = atoms;
  // A single first character may differ from the rest ("starting with a lower-case letter").
  const starts = rest.length > 0 && first.min === 1 && first.max === 1;
  const tail = starts ? rest : atoms;
  const kinds = CHARACTER_KINDS.map(k => k[1]).filter(k =>
    tail.some(a => a.kinds.includes(k)),
  );
  // Otherwise every position takes the same characters, or words would mislead.
  if (tail.some(a => a.kinds.length !== kinds.length)) return undefined;
  const parts = [list(kinds)];
  if (starts && first.kinds.join() !== kinds.join())
    parts.push(`starting with ${singular(first.kinds)}`);
  parts.push(
    length(
      atoms.reduce((n, a) => n + a.min, 0),
      atoms.reduce((n, a) => n + a.max, 0),
    ),
  );
  return parts.join(', ');
}
