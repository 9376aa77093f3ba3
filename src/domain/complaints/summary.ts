/** The longest summary of a complaint (recordComplaint, the import): a paragraph, not a case file. */
export const COMPLAINT_SUMMARY_MAX_LENGTH = 2000;
