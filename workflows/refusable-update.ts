import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, setHandler } from '@temporalio/workflow';

/**
 * An update the run takes only while its state allows it, refused with the reason otherwise:
 * the validator refuses it before it reaches the history, and the handler checks again,
 * since updates sent at the same moment pass the validator together (the first one counts).
 */
export function setRefusableUpdate<Ret, Args extends unknown[]>(
  update: UpdateDefinition<Ret, Args>,
  problemOf: (...args: NoInfer<Args>) => string | null,
  handler: (...args: NoInfer<Args>) => Promise<Ret>,
  description: string,
  /**
   * Why the input as sent (typed in the Temporal UI or CLI) is refused: checked by the validator only, so an update a run
   * took before this check existed replays as it was taken (replay runs no validator).
   */
  inputProblem?: (args: readonly unknown[]) => string | null,
): void {
  setHandler(
    update,
    (...args: Args) => {
      const problem = problemOf(...args);
      if (problem) throw ApplicationFailure.nonRetryable(problem, 'Refused');
      return handler(...args);
    },
    {
      description,
      validator: (...args: Args) => {
        const problem = inputProblem?.(args) ?? problemOf(...args);
        if (problem) throw new Error(problem);
      },
    },
  );
}
