// Pure decisions of the orchestrator's watcher, as steps: report -> events, rescheduling
// off lost hosts, healing of idle stacks.
export { observedAsAssignment, planHealing, planLeftovers } from './heal.js';
export { moveStartPlan } from './move-order.js';
export type { InstanceReport, ReportSubject, SeenInstance } from './report-events.js';
export { reportEvents } from './report-events.js';
export type { RescheduleInput, RescheduleResult, RescheduleStack } from './reschedule.js';
export { planReschedule } from './reschedule.js';
export type { WatchEvent, WatchStep, WatchStepKind, WatchStepOf } from './steps.js';
export { emit } from './steps.js';
