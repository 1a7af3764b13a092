// What the orchestrator's watcher decides, as data: typed steps that one executor table
// in the orchestrator carries out (orchestrator/watch-executors.ts). The events are the
// protocol's event types with their event_data (the core does not import the protocol;
// the executor that publishes them does not compile if the two disagree).
import type { Assignment, DeployPlan } from '../deploy/index.js';

type EventError = { code: string; message: string };
type InstanceData = { stack: string; service: string; instance: string; agent: string };

/** The lifecycle events the watcher emits. */
export type WatchEvent =
  | { readonly event_type: 'service_unhealthy'; readonly data: InstanceData & { restarts: number } }
  | { readonly event_type: 'service_degraded'; readonly data: InstanceData }
  | {
      readonly event_type: 'service_crashlooping';
      readonly data: InstanceData & { exit_code: number | null; restarts: number; log_tail: string[] };
    }
  | {
      readonly event_type: 'service_restarted';
      readonly data: InstanceData & { restarts: number; reason: string; attempts: number | null };
    }
  | { readonly event_type: 'service_recovered'; readonly data: InstanceData & { recovery_ms: number } }
  | {
      readonly event_type: 'service_failed';
      readonly data: InstanceData & { reason: string; error: EventError };
    }
  | {
      readonly event_type: 'service_rescheduled';
      readonly data: {
        stack: string;
        service: string;
        instance: string;
        replaces: string;
        from: string;
        to: string;
        reason: string;
      };
    }
  | {
      readonly event_type: 'service_waiting';
      readonly data: {
        stack: string;
        service: string;
        waiting_for: string[];
        conditions: Record<string, string>;
        instance: string;
        host: string;
        holds: string;
        reason: string;
      };
    }
  | {
      readonly event_type: 'agent_lost';
      readonly data: { agent: string; instances: number; offline_ms: number };
    }
  | {
      readonly event_type: 'orchestration_error';
      readonly data: InstanceData & { reason: string; error: EventError };
    }
  | {
      readonly event_type: 'healing_action';
      readonly data: {
        stack?: string;
        action:
          | 'start_missing'
          | 'remove_unwanted'
          | 'recreate'
          | 'retry_start'
          | 'circuit_close'
          | 'rollback';
        instances: string[];
        reason: string;
      };
    };

export type WatchStep =
  /** Publish a lifecycle event. */
  | { readonly kind: 'emit'; readonly event: WatchEvent }
  /**
   * Move these instances of `stack` to other hosts, each `to` a new incarnation of its
   * `from`: the desired state is written first (a crash then recovers to the new hosts),
   * then the moved instances start in `order` — the deploy's plan for them (core/watch
   * move-order.ts): each moved service once its moved dependencies meet their conditions.
   * `order` null: no order can be had (a broken graph), they start together.
   */
  | {
      readonly kind: 'move';
      readonly stack: string;
      readonly moves: readonly { readonly from: Assignment; readonly to: Assignment }[];
      readonly order: DeployPlan | null;
    }
  /** Start these desired instances of `stack` on their agents. */
  | { readonly kind: 'start'; readonly stack: string; readonly assignments: readonly Assignment[] }
  /** Stop and remove these containers (duplicates, orphans, leftovers of removed stacks). */
  | { readonly kind: 'remove'; readonly assignments: readonly Assignment[] };

export type WatchStepKind = WatchStep['kind'];
export type WatchStepOf<K extends WatchStepKind> = Extract<WatchStep, { kind: K }>;

export const emit = (event: WatchEvent): WatchStep => ({ kind: 'emit', event });
