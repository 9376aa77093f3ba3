import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { customerOfUnsubscribeToken, UNSUBSCRIBE_PATH } from '../domain/messages/unsubscribe-link.js';
import type { Logger } from '../logger.js';

type Language = 'en' | 'de';
type PageKind = 'confirm' | 'done' | 'invalid' | 'unreadable' | 'failed' | 'busy';

const texts: Record<Language, Record<PageKind, { title: string; body: string; button?: string }>> = {
  en: {
    confirm: { title: 'Unsubscribe', body: 'Receive no more marketing messages from us? Messages about your contract and invoices will still reach you.', button: 'Unsubscribe' },
    done: { title: 'You are unsubscribed', body: 'You will receive no more marketing messages from us. Messages about your contract and invoices will still reach you.' },
    invalid: { title: 'This link does not work', body: 'The link is incomplete or was not made by us. Please use the whole link from the message, or reply to the message and we will unsubscribe you.' },
    unreadable: { title: 'This request could not be read', body: 'Please open the link from the message again and use its button, or reply to the message and we will unsubscribe you.' },
    failed: { title: 'Something went wrong', body: 'We could not unsubscribe you just now. Please try again in a few minutes, or reply to the message and we will do it for you.' },
    busy: { title: 'Too many requests', body: 'This page was asked for too often from your network just now. Please try again in a minute, or reply to the message and we will unsubscribe you.' },
  },
  de: {
    confirm: { title: 'Abmelden', body: 'Keine Werbenachrichten mehr von uns erhalten? Nachrichten zu Ihrem Vertrag und Ihren Rechnungen erreichen Sie weiterhin.', button: 'Abmelden' },
    done: { title: 'Sie sind abgemeldet', body: 'Sie erhalten keine Werbenachrichten mehr von uns. Nachrichten zu Ihrem Vertrag und Ihren Rechnungen erreichen Sie weiterhin.' },
    invalid: { title: 'Dieser Link funktioniert nicht', body: 'Der Link ist unvollständig oder stammt nicht von uns. Bitte verwenden Sie den ganzen Link aus der Nachricht, oder antworten Sie auf die Nachricht, dann melden wir Sie ab.' },
    unreadable: { title: 'Diese Anfrage konnte nicht gelesen werden', body: 'Bitte öffnen Sie den Link aus der Nachricht noch einmal und verwenden Sie die Schaltfläche dort, oder antworten Sie auf die Nachricht, dann melden wir Sie ab.' },
    failed: { title: 'Etwas ist schiefgegangen', body: 'Wir konnten Sie gerade nicht abmelden. Bitte versuchen Sie es in ein paar Minuten noch einmal, oder antworten Sie auf die Nachricht, dann erledigen wir es für Sie.' },
    busy: { title: 'Zu viele Anfragen', body: 'Diese Seite wurde gerade zu oft aus Ihrem Netz aufgerufen. Bitte versuchen Sie es in einer Minute noch einmal, oder antworten Sie auf die Nachricht, dann melden wir Sie ab.' },
  },
};

const statusOf: Record<PageKind, number> = { confirm: 200, done: 200, invalid: 400, unreadable: 400, failed: 503, busy: 429 };

/** The page for a client over the page's rate limit (a flood of links tried); the limiter has set Retry-After. */
export const tooManyRequestsPage = (req: Request, res: Response): void => page(req, res, 'busy');

/**
 * The page behind the unsubscribe link of every marketing message. Opening the link (GET)
 * only asks, because mail scanners open links too; the button, or a mail client's own
 * "Unsubscribe" (a POST of `List-Unsubscribe=One-Click`, RFC 8058), withdraws the customer's
 * marketing consent at once, with no login: the signed link is the proof. Pages are in the
 * browser's language (English or German) and name no customer, so a forwarded message
 * shows nothing about its reader.
 */
export function unsubscribeRouter(options: {
  secrets: readonly string[];
  /** Withdraws the customer's consent; false when there is no such customer (a link of another installation sharing the secret). */
  optOut: (customerId: string) => Promise<boolean>;
  logger: Logger;
  /** Refuses a client over its limit before the page does any work. */
  limit?: RequestHandler;
}): Router {
  const router = express.Router();
  if (options.limit) router.use(UNSUBSCRIBE_PATH, options.limit);
  router.get(UNSUBSCRIBE_PATH, (req, res) => {
    const customerId = customerOfUnsubscribeToken(options.secrets, req.query.token);
    page(req, res, customerId ? 'confirm' : 'invalid');
  });
  router.post(UNSUBSCRIBE_PATH, express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
    const customerId = customerOfUnsubscribeToken(options.secrets, req.query.token);
    if (!customerId) return page(req, res, 'invalid');
    try {
      page(req, res, (await options.optOut(customerId)) ? 'done' : 'invalid');
    } catch (error) {
      options.logger.error({ err: error, customerId }, 'unsubscribing through a message link failed');
      page(req, res, 'failed');
    }
  });
  // A body the page cannot read (too large, another charset) gets the page too, with its headers, not Express's error page.
  router.use(UNSUBSCRIBE_PATH, ((error, req, res, _next) => {
    const status = Number((error as { status?: unknown }).status);
    if (status >= 400 && status < 500) return page(req, res, 'unreadable', status);
    options.logger.error({ err: error }, 'the unsubscribe page failed');
    page(req, res, 'failed');
  }) as ErrorRequestHandler);
  return router;
}

function page(req: Request, res: Response, kind: PageKind, status = statusOf[kind]): void {
  const language: Language = req.acceptsLanguages('en', 'de') === 'de' ? 'de' : 'en';
  const text = texts[language][kind];
  // The button posts to the page's own address (no action): the link as sent, whatever path a proxy puts before it.
  const form = text.button ? `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${text.button}</button></form>` : '';
  res
    .status(status)
    .set({
      'cache-control': 'no-store',
      // The link is the customer's key to this page: never sent on to another site, never indexed.
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'content-language': language,
    })
    .type('html')
    .send(
      `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${text.title}</title>` +
        '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1.5rem}</style></head>' +
        `<body><h1>${text.title}</h1><p>${text.body}</p>${form}</body></html>`,
    );
}
