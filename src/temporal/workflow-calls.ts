import { WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { QueryDefinition, SignalDefinition } from '@temporalio/common';

/** A run's answer to a query; null when no such run exists. */
export async function queryOrNull<T>(client: Client, workflowId: string, query: QueryDefinition<T>): Promise<T | null> {
  try {
    return await client.workflow.getHandle(workflowId).query(query);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Signals a run; false when it does not exist or has already finished. */
export async function signalOrFalse<Args extends unknown[]>(client: Client, workflowId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(signal, ...args);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Whether the run is running now, or how it ended; null when it does not exist. */
export async function executionStatus(client: Client, workflowId: string): Promise<WorkflowExecutionStatusName | null> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Whether the run is running now (false: it has ended, or it does not exist). */
export async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  return (await executionStatus(client, workflowId)) === 'RUNNING';
}

/** Requests cancellation of a running run (its workflow decides how to wind down); false when it does not exist or has already finished. */
export async function cancelIfRunning(client: Client, workflowId: string): Promise<boolean> {
  if (!(await isRunning(client, workflowId))) return false;
  try {
    await client.workflow.getHandle(workflowId).cancel();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
