import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The dashboard, `/compliance`. */
export const rootRouteRef = createRouteRef();
