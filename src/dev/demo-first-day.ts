/** A rescore recorded for a day (scoring_run): its workflow ID, the day and its status. */
export interface RecordedRun {
  id: string;
  asOf: string;
  status: string;
}

/**
 * The rescore that scores the demo data as of `asOf` at `npm start`. A start stopped while it scored leaves its rescore
 * to Temporal, which finishes it once a worker runs again: the next start waits for that one instead of starting a second
 * one of the day (both would write the day's scores, listed twice in scoreHistory), and a day already scored (its
 * rescore completed) is not scored again. A run that stopped halfway (cancelled, abandoned: its workflow gone) does not
 * count: the day is scored anew. `runs` are the day's runs as recorded, oldest first.
 */
export async function demoDayRescore(
  asOf: string,
  runs: RecordedRun[],
  engine: { isRunning(runId: string): Promise<boolean>; start(): Promise<string> },
): Promise<{ runId: string; how: 'started' | 'resumed' } | null> {
  const ofDay = runs.filter((run) => run.asOf === asOf);
  if (ofDay.some((run) => run.status === 'completed')) return null;
  for (const run of ofDay) if (run.status === 'running' && (await engine.isRunning(run.id))) return { runId: run.id, how: 'resumed' };
  return { runId: await engine.start(), how: 'started' };
}
