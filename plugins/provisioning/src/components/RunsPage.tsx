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
import { AuditTable } from './AuditTable';
import { BudgetsTable } from './BudgetsTable';
import { ApprovalsTable } from './ApprovalsTable';
import { ChangeWindowsTable } from './ChangeWindowsTable';
import { PublicationsPage } from './PublicationsPage';
import { usePermission } from '@backstage/plugin-permission-react';
import { auditReadPermission } from '@konductor/plugin-audit-common';

/**
 * `/provisioning`: every run the user may see; `/provisioning/stacks`: every stack (the
 * inventory); `/provisioning/budgets`: groups' budgets and quotas; `/provisioning/approvals`: the
 * runs that wait for approval; `/provisioning/change-windows`: the freezes;
 * `/provisioning/definitions`: publishing service definitions;
 * `/provisioning/audit`: the audit trail (admins);
 * `/provisioning/runs/:id`: one run; any other address says there is no such page.
 * `approvalSections`: what other plugins add to the Approvals inbox (the page's `approvals`
 * input; compliance adds the exemption requests).
 */
export function ProvisioningPage(props: {
  approvalSections?: React.ReactNode[];
}) {
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
      <Route
        path="/budgets"
        element={
          <ListPage
            title="Budgets"
            intro="Each group's monthly cost budget and stack quota per environment, and what its stacks commit. A request that would go over is refused with the numbers; the group is notified at 80 % and 100 %. Platform admins set them here, over the platform's configuration."
          >
            <BudgetsTable />
          </ListPage>
        }
      />
      <Route
        path="/approvals"
        element={
          <ListPage
            title="Approvals"
            intro="Runs that wait for a person's approval before anything is created, changed or destroyed: those you asked for, and those you may approve, with their plan, cost and compliance verdict. A waiting run holds no worker; approved, it goes on by itself. Nobody approves their own request."
          >
            <ApprovalsTable />
            {props.approvalSections?.map((section, i) => (
              <Box key={i} sx={{ mt: 3 }}>
                {section}
              </Box>
            ))}
          </ListPage>
        }
      />
      <Route
        path="/change-windows"
        element={
          <ListPage
            title="Change windows"
            intro="Freezes, from the platform's configuration and declared by platform admins: while one lasts, the runs it covers wait for its emergency approvers instead of going ahead, and the plan page says so before anything is requested."
          >
            <ChangeWindowsTable />
          </ListPage>
        }
      />
      <Route
        path="/definitions"
        element={
          <ListPage
            title="Service definitions"
            intro="Template authors publish service definitions and templates from their repositories here, without a platform admin; the catalog reads each file again when it changes, and shows its problems on the definition's page. Everyone sees what was published, and by whom."
          >
            <PublicationsPage />
          </ListPage>
        }
      />
      <Route
        path="/audit"
        element={
          <ListPage
            title="Audit trail"
            intro="Who did what, on what, from which request, and how it ended: every create, change, destroy, cancel, retry, claim, approval, exemption, budget, freeze and policy change, newest first. Platform admins only."
          >
            <AuditTable />
          </ListPage>
        }
      />
      <Route path="/runs/:id" element={<RunPage />} />
      <Route
        path="*"
        element={
          <ListPage
            title="No such page"
            intro="There is no provisioning page at this address: the tabs above are what there is."
          />
        }
      />
    </Routes>
  );
}

/** A list page under the provisioning views' tabs. */
function ListPage(props: {
  title: string;
  intro: string;
  children?: React.ReactNode;
}) {
  const base = useRunsPath();
  const { pathname } = useLocation();
  const audit = usePermission({ permission: auditReadPermission });
  const tabs = [
    { label: 'Runs', to: base },
    { label: 'Stacks', to: `${base}/stacks` },
    { label: 'Budgets', to: `${base}/budgets` },
    { label: 'Approvals', to: `${base}/approvals` },
    { label: 'Change windows', to: `${base}/change-windows` },
    { label: 'Definitions', to: `${base}/definitions` },
    ...(audit.allowed ? [{ label: 'Audit', to: `${base}/audit` }] : []),
  ];
  const path = pathname.replace(/\/$/, '');
  // No tab is selected on a page the user has no tab for (the audit trail, for a developer).
  const tab = tabs.findIndex(t => t.to.replace(/\/$/, '') === path);
  return (
    <Box sx={{ p: 3 }}>
      <Tabs
        value={tab < 0 ? false : tab}
        sx={{ mb: 2 }}
        aria-label="Provisioning views"
      >
        {tabs.map(t => (
          <Tab key={t.label} label={t.label} component={RouterLink} to={t.to} />
        ))}
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
