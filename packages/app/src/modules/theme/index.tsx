import LightIcon from '@material-ui/icons/WbSunny';
import DarkIcon from '@material-ui/icons/Brightness2';
import type { Components, Theme } from '@mui/material/styles';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { ThemeBlueprint } from '@backstage/plugin-app-react';
import {
  createUnifiedTheme,
  defaultComponentThemes,
  palettes,
  UnifiedThemeProvider,
} from '@backstage/theme';

type CellStyle = (props: { theme: Theme }) => Record<string, unknown>;
const cell = defaultComponentThemes?.MuiTableCell?.styleOverrides;

/**
 * Backstage's table cells break words anywhere (`word-break: break-word`), which lets a squeezed
 * column cut "PostgreSQL" or "network" in two. Konductor's cells wrap between words, and no column
 * is made narrower than its longest word; a word wider than the whole table can give it (a long
 * ARN) still wraps rather than spilling out of its cell.
 */
const components: Components<Theme> = {
  ...defaultComponentThemes,
  MuiTableCell: {
    ...defaultComponentThemes?.MuiTableCell,
    styleOverrides: {
      ...cell,
      root: props => ({
        ...(cell?.root as CellStyle)(props),
        wordBreak: 'normal',
        overflowWrap: 'break-word',
      }),
    },
  },
};

const light = createUnifiedTheme({ palette: palettes.light, components });
const dark = createUnifiedTheme({ palette: palettes.dark, components });

/** The app's light and dark themes: Backstage's, with table cells that keep words whole. */
export const themeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    ThemeBlueprint.make({
      name: 'light',
      params: {
        theme: {
          id: 'light',
          title: 'Light Theme',
          variant: 'light',
          icon: <LightIcon />,
          Provider: ({ children }) => (
            <UnifiedThemeProvider theme={light}>
              {children}
            </UnifiedThemeProvider>
          ),
        },
      },
    }),
    ThemeBlueprint.make({
      name: 'dark',
      params: {
        theme: {
          id: 'dark',
          title: 'Dark Theme',
          variant: 'dark',
          icon: <DarkIcon />,
          Provider: ({ children }) => (
            <UnifiedThemeProvider theme={dark}>{children}</UnifiedThemeProvider>
          ),
        },
      },
    }),
  ],
});
