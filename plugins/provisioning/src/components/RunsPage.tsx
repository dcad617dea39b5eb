import {
  Link as RouterLink,
  Route,
  Routes,
  useLocation,
} from 'react-router-dom';
import Box from '@mui/material/Box';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useRunsPath } from '../routes';
import { RunPage } from './RunPage';
import { RunsTable } from './RunsTable';
import { StackInventoryTable } from './StackInventoryTable';

/**
 * `/provisioning`: every run the user may see; `/provisioning/stacks`: every stack (the
 * inventory); `/provisioning/runs/:id`: one run.
 */
export function ProvisioningPage() {
  return (
    <Routes>
      <Route
        path="/"
        element={
          <ListPage
            title="Provisioning runs"
            intro="Every run of the stacks you may see, newest first. Open a run to watch its resources come up."
          >
            <RunsTable />
          </ListPage>
        }
      />
      <Route
        path="/stacks"
        element={
          <ListPage
            title="Stacks"
            intro="Every stack you may see, with its owner, template, state and monthly cost estimate. Filters and sort are kept in the address, to share a view."
          >
            <StackInventoryTable />
          </ListPage>
        }
      />
      <Route path="/runs/:id" element={<RunPage />} />
    </Routes>
  );
}

/** A list page with the Runs and Stacks tabs. */
function ListPage(props: {
  title: string;
  intro: string;
  children: React.ReactNode;
}) {
  const base = useRunsPath();
  const { pathname } = useLocation();
  const tab = pathname.replace(/\/$/, '').endsWith('/stacks') ? 1 : 0;
  return (
    <Box sx={{ p: 3 }}>
      <Tabs value={tab} sx={{ mb: 2 }} aria-label="Provisioning views">
        <Tab label="Runs" component={RouterLink} to={base} />
        <Tab label="Stacks" component={RouterLink} to={`${base}/stacks`} />
      </Tabs>
      <Typography variant="h4" component="h1" gutterBottom>
        {props.title}
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 2 }}>
        {props.intro}
      </Typography>
      {props.children}
    </Box>
  );
}
