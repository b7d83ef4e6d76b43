/** What a user may hold of the cluster at once, and for how long; 0 means no limit. */
export interface Quota {
  id: number;
  name: string;
  concurrentExecutions: number;
  cores: number;
  memoryBytes: number;
  /** Hours an execution may last from its submission. */
  runtimeLimitHours: number;
}

/** The quota every user has unless given another; it cannot be renamed or deleted. */
export const DEFAULT_QUOTA_ID = 1;
export const DEFAULT_QUOTA_NAME = 'default';
