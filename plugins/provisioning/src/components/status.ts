/** The colour of a resource or run status, shared by the graph, chips and the event log. */
export const STATUS_COLOURS: Record<string, string> = {
  queued: '#9e9e9e',
  creating: '#1e88e5',
  waiting: '#1e88e5',
  running: '#1e88e5',
  ready: '#2e7d32',
  succeeded: '#2e7d32',
  failed: '#c62828',
  'rolling-back': '#ef6c00',
  deleting: '#ef6c00',
  deleted: '#616161',
  cancelled: '#616161',
  retained: '#6a1b9a',
  skipped: '#bdbdbd',
};

export const colourOf = (status: string) =>
  STATUS_COLOURS[status.replace(/^run-/, '')] ?? '#9e9e9e';
