import {
  coreServices,
  createBackendModule,
  type SchedulerService,
} from '@backstage/backend-plugin-api';

/**
 * The catalog's scheduled tasks, for a test backend: its scheduler runs each task once, at
 * start-up, and a test runs one again where the real schedule would have, such as the look at
 * ServiceDefinitions' dependencies every few seconds (a definition processed before the one it
 * depends on is refused until then).
 */
export function catalogTasks() {
  let scheduler: SchedulerService | undefined;
  return {
    /** Add it to the test backend's features. */
    module: createBackendModule({
      pluginId: 'catalog',
      moduleId: 'test-scheduled-tasks',
      register(reg) {
        reg.registerInit({
          deps: { s: coreServices.scheduler },
          async init({ s }) {
            scheduler = s;
          },
        });
      },
    }),
    /** Runs the task now, unless it is running. */
    async run(id: string) {
      await scheduler?.triggerTask(id).catch(() => undefined);
    },
  };
}
