import { REF_MAX_LENGTH } from '../import/import-spec.js';

/**
 * A complaint's reference in the CRM, as recordComplaint's `complaintRef` and the complaints
 * import's `complaint_ref` both take it: without the white space around it, not blank, at most
 * `REF_MAX_LENGTH` characters. One reference is one complaint, whichever way it came in.
 */
export function complaintRef(ref: string | null | undefined): { ref: string | null; problem: string | null } {
  if (ref == null) return { ref: null, problem: null };
  const trimmed = ref.trim();
  if (!trimmed) return { ref: null, problem: 'complaintRef must not be blank (leave it out when the complaint has no reference)' };
  // Characters, as PostgreSQL's length() counts them in the import (not UTF-16 code units).
  if ([...trimmed].length > REF_MAX_LENGTH) return { ref: null, problem: `complaintRef must be at most ${REF_MAX_LENGTH} characters` };
  return { ref: trimmed, problem: null };
}
