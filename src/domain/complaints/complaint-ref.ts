import { apiRef } from '../import/import-spec.js';

/**
 * A complaint's reference in the CRM, as recordComplaint's `complaintRef` and the complaints
 * import's `complaint_ref` both take it (apiRef: trimmed, in NFC, not blank, at most
 * `REF_MAX_LENGTH` characters, no invisible or control character). One reference is one
 * complaint, whichever way it came in.
 */
export const complaintRef = (ref: string | null | undefined): { ref: string | null; problem: string | null } => apiRef('complaintRef', ref);
