import { asyncLocalStorage } from '@temporalio/activity';

/** When the engine scheduled the activity under way (its first attempt, on the engine's clock); null outside an activity. */
export function scheduledByEngine(): Date | null {
  const info = asyncLocalStorage.getStore()?.info;
  return info ? new Date(info.scheduledTimestampMs) : null;
}
