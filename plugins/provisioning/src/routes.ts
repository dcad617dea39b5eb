import { createRouteRef, useRouteRef } from '@backstage/frontend-plugin-api';

/** The runs list, `/provisioning`; a run's page is `runs/:id` below it. */
export const rootRouteRef = createRouteRef();

/** Where the runs list is mounted (`/provisioning` unless the app moved it). */
export function useRunsPath(): string {
  return useRouteRef(rootRouteRef)?.() ?? '/provisioning';
}
