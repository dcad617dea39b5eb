/** One requirement of a label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. */
type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Parses a `labelSelector` query parameter as the API server does, or throws with its message
 * for one it cannot parse.
 */
export function parseLabelSelector(selector: string): Requirement[] {
  const terms: string[] = [];
  let depth = 0;
  let term = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(term);
      term = '';
    } else term += ch;
  }
  terms.push(term);
  const key = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
  const value = (v: string) =>
    v.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v);
  return terms
    .map(t => t.trim())
    .filter(Boolean)
    .map(t => {
      let m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(t);
      if (m && key.test(m[1]) && value(m[3])) {
        const [, k, op, v] = m;
        return op === '!='
          ? labels => labels[k] !== v
          : labels => labels[k] === v;
      }
      m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
      if (m && key.test(m[1])) {
        const [, k, op, list] = m;
        const values = list.split(',').map(v => v.trim());
        if (!values.every(value))
          throw new Error(`unable to parse requirement: ${t}`);
        return op === 'in'
          ? labels => k in labels && values.includes(labels[k])
          : labels => !(k in labels) || !values.includes(labels[k]);
      }
      m = /^(!?)(\S+)$/.exec(t);
      if (m && key.test(m[2])) {
        const [, not, k] = m;
        return labels => k in labels !== !!not;
      }
      throw new Error(`unable to parse requirement: ${t}`);
    });
}

/** Whether `labels` satisfy every requirement. */
export const matches = (
  requirements: Requirement[],
  labels: Record<string, string> = {},
) => requirements.every(r => r(labels));

/** The fields an Event may be selected by, besides every kind's (the API server's list). */
export const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

/**
 * Parses a `fieldSelector` (`f=v`, `f==v`, `f!=v`, comma-separated) over the fields every kind
 * supports, `metadata.name` and `metadata.namespace`, and the kind's own `fields`, and returns a
 * test of an object; a field the API server does not index is refused with its message.
 */
export function parseFieldSelector(
  selector: string,
  fields: readonly string[] = [],
): (o: { metadata: Record<string, any> }) => boolean {
  const terms = selector
    .split(',')
    .map(t => t.trim())
    .filter(Boolean)
    .map(t => {
      const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
      if (!m)
        throw new Error(
          `invalid selector: '${selector}'; can't understand '${t}'`,
        );
      const [, field, op, value] = m;
      if (
        field !== 'metadata.name' &&
        field !== 'metadata.namespace' &&
        !fields.includes(field)
      )
        throw new Error(`field label not supported: ${field}`);
      // An event's `source` is its source's component.
      const path = (field === 'source' ? 'source.component' : field).split('.');
      return (o: Record<string, any>) =>
        (String(path.reduce((v, k) => v?.[k], o) ?? '') === value) ===
        (op !== '!=');
    });
  return o => terms.every(t => t(o));
}
