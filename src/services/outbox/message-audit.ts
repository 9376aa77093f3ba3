/** The audit log's action for a queued message held back before it went out (by a dispute, a complaint, a withdrawal, ...), under the message. */
export const MESSAGE_HELD_BACK = 'message.held-back';

/** The audit log's action for a message held back earlier and let go again (a dispute rejected, a proposal proposed anew), under the message. */
export const MESSAGE_RELEASED = 'message.released';
