// Local self-healing decisions: exponential backoff and the per-instance state machine.
export type { BackoffPolicy } from './backoff.js';
export { backoffDelay } from './backoff.js';
export type {
  CrashLoopExit,
  CrashLoopInput,
  CrashLoopRule,
  CrashLoopState,
  CrashLoopStep,
} from './crash-loop.js';
export { DEFAULT_CRASH_LOOP_RULE, INITIAL_CRASH_LOOP, stepCrashLoop } from './crash-loop.js';
export type { DependentsInput } from './dependents.js';
export { dependentsToRestart } from './dependents.js';
export type { HealingAction, HealingInput, HealingState, HealingStep } from './machine.js';
export { INITIAL_HEALING, stepHealing, wakeAt } from './machine.js';
export type {
  NetProbeHealth,
  NetProbeResult,
  NetProbeRule,
  NetProbeState,
  NetProbeStatus,
} from './probe-verdict.js';
export {
  DEFAULT_PROBE_START_PERIOD_MS,
  INITIAL_NET_PROBE,
  netProbeDelay,
  netProbeHealth,
  stepNetProbe,
} from './probe-verdict.js';
export type { StartProbeCheck, StartProbePlan, StartProbeState, StartProbeStep } from './start-probe.js';
export { INITIAL_START_PROBE, startProbeDelay, startProbePlan, stepStartProbe } from './start-probe.js';
export type {
  CircuitContext,
  CircuitDecision,
  CircuitInput,
  CircuitState,
  CircuitStep,
  StrategyPolicy,
} from './strategy.js';
export {
  CLOSED_CIRCUIT,
  DEFAULT_HOST_FAILURE_LIMIT,
  DEFAULT_JITTER,
  jitteredDelay,
  stepCircuit,
} from './strategy.js';
