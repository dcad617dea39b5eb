export * from './render';
export { lintChart, isCronSchedule } from './lint';
export type { LintProblem } from './lint';
