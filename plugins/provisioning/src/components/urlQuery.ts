import { useSearchParams } from 'react-router-dom';

/**
 * A list page's filters, sort and page kept in the address (so a view can be shared and survives
 * a reload): each name's value ('' when absent), and `update`, which sets values (an empty one is
 * removed) and goes back to the first page unless the page is what changes.
 */
export function useUrlQuery<N extends string>(names: readonly N[]) {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(
    names.map(n => [n, params.get(n) ?? '']),
  ) as Record<N, string>;
  const update = (changes: Record<string, string>) =>
    setParams(
      current => {
        const next = new URLSearchParams(current);
        for (const [k, v] of Object.entries(changes))
          if (v) next.set(k, v);
          else next.delete(k);
        if (!('page' in changes)) next.delete('page');
        return next;
      },
      { replace: true },
    );
  return { values, params, update };
}

/** Saves `csv` as a file named `filename`, as a download link would. */
export function downloadCsv(csv: string, filename: string) {
  const url = URL.createObjectURL(
    new Blob([csv], { type: 'text/csv;charset=utf-8' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
