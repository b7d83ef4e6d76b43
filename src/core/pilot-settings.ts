/** What a workflow's pilot is told (in GANTRY_PILOT, as JSON): where its queues are, what to run on each event. */
export interface PilotSettings {
  pilotId: string;
  taskforceUuid: string;
  /** Gantry's URL, for its status reports (and the queues, with the embedded broker). */
  server: string;
  /** The workflow's credential on Gantry's routes. */
  token: string;
  inputQueues: string[];
  outputQueues: string[];
  /** How to reach each queue (EWMS MQS's profiles). */
  profiles: PilotQueueProfile[];
  taskArgs: string;
  taskEnv: Record<string, string>;
  /** How long an event is held before it goes to another pilot. */
  visibilityMs: number;
}

/** The part of a queue's profile a pilot connects with. */
export interface PilotQueueProfile {
  mqid: string;
  broker_type: string;
  broker_address: string;
  auth_token: string;
}
