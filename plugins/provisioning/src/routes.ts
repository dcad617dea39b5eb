import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The runs list, `/provisioning`; a run's page is `runs/:id` below it. */
export const rootRouteRef = createRouteRef();
