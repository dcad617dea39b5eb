import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';
import { themeModule } from './modules/theme';

/** The Konductor app; further features are discovered from package.json (`app.packages: all`). */
export default createApp({
  features: [catalogPlugin, navModule, signInModule, themeModule],
});
