import { SignInPage } from '@backstage/core-components';
import {
  coreApis,
  githubAuthApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import type { SignInPageProps } from '@backstage/plugin-app-react';

/** The providers Konductor's sign-in page can offer, by their name in `konductor.signIn.providers`. */
const PROVIDERS = {
  guest: 'guest' as const,
  github: {
    id: 'github-auth-provider',
    title: 'GitHub',
    message: 'Sign in with your GitHub account',
    apiRef: githubAuthApiRef,
  },
};

/**
 * Backstage's sign-in page with the providers of `konductor.signIn.providers`: GitHub in
 * production; guest and the sandbox's GitHub in the embedded setup.
 */
export function KonductorSignInPage(props: SignInPageProps) {
  const names = useApi(coreApis.config).getOptionalStringArray(
    'konductor.signIn.providers',
  ) ?? ['guest'];
  const providers = names
    .filter((n): n is keyof typeof PROVIDERS => n in PROVIDERS)
    .map(n => PROVIDERS[n]);
  return <SignInPage {...props} providers={providers} />;
}
