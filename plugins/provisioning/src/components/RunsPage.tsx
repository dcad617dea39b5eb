import { Route, Routes } from 'react-router-dom';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { RunPage } from './RunPage';
import { RunsTable } from './RunsTable';

/** `/provisioning`: every run the user may see; `/provisioning/runs/:id`: one run. */
export function ProvisioningPage() {
  return (
    <Routes>
      <Route path="/" element={<RunsListPage />} />
      <Route path="/runs/:id" element={<RunPage />} />
    </Routes>
  );
}

function RunsListPage() {
  return (
    <Box sx={{ p: 3 }}>
      <Typography variant="h4" component="h1" gutterBottom>
        Provisioning runs
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 2 }}>
        Every stack the portal has provisioned, newest first. Open a run to
        watch its resources come up.
      </Typography>
      <RunsTable />
    </Box>
  );
}
