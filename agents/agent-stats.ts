// Counters an operator (and the fuzz tests) read from a running agent.

export interface AgentStats {
  /** Commands that passed validation and were answered (including refusals). */
  commands: number;
  /** Messages on command topics that failed validation (bad JSON, schema, size, unknown action). */
  rejected: number;
  /** Invalid messages on the other topics the agent reads (the orchestrator's presence). */
  rejected_other: number;
  /** Repeated transactions answered from the log instead of being run again. */
  duplicates: number;
  stale: number;
  bad_signatures: number;
  policy_refusals: number;
  /** Docker failures while carrying out an instance operation. */
  runtime_errors: number;
  heal_restarts: number;
  heal_gave_up: number;
  /** Start operations that failed because the image could not be pulled (never retried by the agent). */
  pull_failures: number;
  snapshots_published: number;
}

export function createAgentStats(): AgentStats {
  return {
    commands: 0,
    rejected: 0,
    rejected_other: 0,
    duplicates: 0,
    stale: 0,
    bad_signatures: 0,
    policy_refusals: 0,
    runtime_errors: 0,
    heal_restarts: 0,
    heal_gave_up: 0,
    pull_failures: 0,
    snapshots_published: 0,
  };
}
