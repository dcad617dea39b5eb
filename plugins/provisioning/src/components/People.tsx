import { Fragment } from 'react';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';

/** People and teams (entity refs) as the catalog presents them, each ref on hover, in a line. */
export function People(props: { refs: string[]; joiner: string }) {
  return (
    <>
      {props.refs.map((ref, i) => (
        <Fragment key={ref}>
          {i > 0 && props.joiner}
          <EntityDisplayName entityRef={ref} hideIcon />
        </Fragment>
      ))}
    </>
  );
}
