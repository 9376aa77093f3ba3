import { invoiceDetails, invoiceRef, newCustomerTermsIn, offerNameIn, paidInvoice, topicLabel as topicWords, type OfferNaming, type Writing, type Payload, type Template } from './template.js';

/**
 * The messages to customers in German. Messages to the company's teams (call tasks, fix
 * cases, the final invoice) are not here: they stay in the company's language (English).
 * As in English, no text for a loyal payer mentions a fee, a dunning notice or collections.
 */
/** The invoice as the customer knows it, with what is open and its due day. */
const invoiceWords = { due: 'fällig am', partPaid: (received: string, open: string) => `, davon ${received} bereits erhalten und ${open} noch offen` };
const invoice = (p: Payload, write: Writing) => `${invoiceRef(p)}${invoiceDetails(p, write, invoiceWords)}`;
/** Die Mahngebühr und, mit Gebühren, die schon auf der Rechnung stehen, was sie zusammen ausmachen. */
const fee = (p: Payload, write: Writing) => {
  const own = Number(p.feeMinor);
  if (!(own > 0)) return '';
  const before = Number(p.feesOnInvoiceMinor);
  return ` Es fällt eine Mahngebühr von ${write.money(own)} an${before > 0 ? ` (insgesamt ${write.money(before + own)} Mahngebühren für diese Rechnung)` : ''}.`;
};
const feesHandedOver = (p: Payload, write: Writing) => (Number(p.feesOnInvoiceMinor) > 0 ? `, zusammen mit ${write.money(Number(p.feesOnInvoiceMinor))} Mahngebühren` : '');
type OfferPayload = (OfferNaming & { kind?: string; tier?: string; offerCode?: string; discountPercent?: number }) | undefined;
/** Name (auf Deutsch, wo es einen gibt) und Rabatt, wie der Kunde sie liest; der Code zum Nennen (ein älterer Vorschlag hat nur den Code). */
const offerText = (offer: OfferPayload) => {
  const discount = offer?.discountPercent ? ` (${offer.discountPercent} % Rabatt)` : '';
  const offerName = offerNameIn(offer, 'de');
  return offerName ? `„${offerName}“${discount}, Angebot ${offer?.offerCode ?? ''}` : `das Angebot ${offer?.offerCode ?? ''}${discount}`;
};
/** Ein Vorschlag, wie der Kunde ihn liest: der Tarif, oder das Angebot mit dem Tarif, in den es wechselt (ein älteres wechselte keinen). */
const proposalText = (p: Payload) => {
  const proposal = p.proposal as OfferPayload;
  const tier = (key: string) => `„${GERMAN_TIERS[key] ?? key}“`;
  if (proposal?.kind === 'tier-change') return `unser Tarif ${tier(proposal.tier ?? '')}`;
  // Ein übernommenes Neukundenangebot mit dessen Bedingungen, wie ein Dankeschön sie nennt.
  const terms = newCustomerTermsIn((proposal ?? {}) as Payload, 'de');
  const asNewcomers = terms ? `, das Angebot, das Neukunden dafür bekommen, für Sie zu denselben Bedingungen („${terms}“), wobei jeder darin genannte Zeitraum ab Ihrer ersten Einlösung zählt` : '';
  return `${offerText(proposal)}${proposal?.tier ? `, mit einem Wechsel in unseren Tarif ${tier(proposal.tier)}` : ''}${asNewcomers}`;
};
/** The service tiers as a German customer reads them (their keys are English words). */
const GERMAN_TIERS: Readonly<Record<string, string>> = { basic: 'Basis', standard: 'Standard', premium: 'Premium' };
/**
 * A complaint topic in German: the fix policy's default topics have their words here; another
 * topic is written as its key's words (a company's own keys, which it may name in German).
 */
const GERMAN_TOPICS: Readonly<Record<string, string>> = {
  'delivery-delay': 'Lieferverzögerung',
  'billing-error': 'Fehler in der Rechnung',
  'product-defect': 'Produktfehler',
  'app-login': 'Anmeldung in der App',
};
const topicLabel = (p: Payload) => GERMAN_TOPICS[String(p.topic ?? '')] ?? topicWords(p);
/** Was ein Kunde mit Kündigung für den Wechsel braucht (wie im Englischen); eine ältere Nachricht ohne den Tag sagt nur, was sie kann. */
/** Ein vorzeitig beendeter Vertrag (der Kunde geht sofort): die Nachricht zum Datenexport sagt, dass er heute endete und was die Schlussrechnung abdeckt. */
const endedEarly = (p: Payload, write: Writing) => {
  if (typeof p.endedEarlyOn !== 'string') return '';
  const on = write.day(p.endedEarlyOn);
  const named = typeof p.noticeEndsOn === 'string' ? `, früher als zum ${write.day(p.noticeEndsOn)}, den unsere Mitteilung nannte` : '';
  return `unser Vertrag ist heute, am ${on}, beendet${named}. Ihre Schlussrechnung deckt unseren Service bis zum ${on} ab, ohne Abschlussgebühr; unsere Buchhaltung schickt sie gesondert.\n\n`;
};

const switchHelp = (p: Payload, write: Writing) => {
  const endsOn = typeof p.noticeEndsOn === 'string' ? write.day(p.noticeEndsOn) : null;
  if (!endsOn) return 'antworten Sie auf diese Nachricht, und eine Person hilft Ihnen bei jedem Schritt des Wechsels zu einem anderen Anbieter: bei Ihrer Schlussrechnung, Ihren Daten und allem, was Ihr neuer Anbieter von uns braucht.';
  return [
    'hier ist, was Sie für den Wechsel zu einem anderen Anbieter brauchen:',
    '',
    ...(typeof p.customerRef === 'string' && p.customerRef ? [`- Ihre Kundennummer bei uns: ${p.customerRef}. Nennen Sie sie uns, und Ihrem neuen Anbieter, falls er danach fragt.`] : []),
    `- Unser Vertrag endet am ${endsOn}. Bis dahin läuft alles wie gewohnt weiter, sodass Ihr neuer Anbieter ab diesem Tag übernehmen kann.`,
    `- Ihre Schlussrechnung umfasst unsere Leistungen bis zum ${endsOn}, ohne Abschlussgebühr; unsere Buchhaltung schickt sie Ihnen nach diesem Tag.`,
    `- Ihre Daten: Wenn der Vertrag am ${endsOn} endet, schicken wir Ihnen per E-Mail eine Datei (JSON) mit allem, was wir über Sie gespeichert haben, darunter Ihre Angaben, Bestellungen, Rechnungen und Zahlungen, Beschwerden und die Nachrichten, die wir Ihnen geschickt haben.`,
    '',
    'Wenn Sie für den Wechsel noch etwas brauchen, antworten Sie auf diese Nachricht: Eine Person hilft Ihnen bei jedem Schritt.',
  ].join('\n');
};
/** Das Angebot eines Dankeschöns (wie im Englischen): aus den Neukundenangeboten übernommen, mit deren Bedingungen, in Worten für treue Kunden. */
const thankYouOffer = (p: Payload, write: Writing) => {
  if (!p.offerCode) return '';
  const until = typeof p.offerValidUntil === 'string' ? ` bis zum ${write.day(p.offerValidUntil)}` : '';
  const terms = newCustomerTermsIn(p, 'de');
  if (terms) return ` Als Dankeschön gehört Ihnen ${offerText(p as OfferPayload)}${until}: das beste Angebot, das Neukunden bekommen, für Sie zu denselben Bedingungen („${terms}“), wobei jeder darin genannte Zeitraum ab Ihrer ersten Einlösung zählt.`;
  return ` Als Dankeschön gehört Ihnen ${offerText(p as OfferPayload)}${until}, mindestens so gut wie jedes Angebot, das Neukunden für Ihren jetzigen Tarif bekommen.`;
};
const hello = (name: string) => `Guten Tag ${name},\n\n`;
const regards = '\n\nFreundliche Grüße';

export const germanTemplates: Record<string, Template> = {
  'reminder-friendly': (name, p, write) => ({
    subject: 'Eine kurze Notiz zu Ihrer Rechnung',
    text: `${hello(name)}danke, dass Sie schon so lange bei uns sind. Die Rechnung ${invoice(p, write)} ist wohl untergegangen; das passiert jedem. Könnten Sie bei Gelegenheit einen Blick darauf werfen? Wenn etwas unklar ist, antworten Sie einfach auf diese Nachricht.${regards}`,
  }),
  'reminder-follow-on': (name, p, write) => ({
    subject: 'Ihre Rechnung ist noch offen: Finden wir gemeinsam einen Weg',
    text: `${hello(name)}wir hatten uns wegen der Rechnung ${invoice(p, write)} bereits bei Ihnen gemeldet, und sie ist noch offen. Wenn die Zahlung gerade schwierig ist oder etwas daran nicht stimmt, antworten Sie einfach auf diese Nachricht, und wir finden gemeinsam einen Weg.${regards}`,
  }),
  'reminder-gentle': (name, p, write) => ({
    subject: 'Rechnung noch offen: Können wir helfen?',
    text: `${hello(name)}die Rechnung ${invoice(p, write)} ist noch offen. Wenn etwas daran nicht stimmt oder der Zeitpunkt gerade schwierig ist, sagen Sie es uns, und wir finden gemeinsam einen Weg.${regards}`,
  }),
  'reminder-standard-1': (name, p, write) => ({ subject: 'Zahlungserinnerung', text: `${hello(name)}die Rechnung ${invoice(p, write)} ist überfällig. Bitte begleichen Sie sie bald.${fee(p, write)}${regards}` }),
  'reminder-standard-2': (name, p, write) => ({ subject: 'Zweite Zahlungserinnerung', text: `${hello(name)}die Rechnung ${invoice(p, write)} ist noch nicht bezahlt.${fee(p, write)}${regards}` }),
  'reminder-standard-3': (name, p, write) => ({
    subject: 'Letzte Zahlungserinnerung',
    text: `${hello(name)}die Rechnung ${invoice(p, write)} ist noch nicht bezahlt. Ohne Zahlung übergeben wir sie an ein Inkassounternehmen.${fee(p, write)}${regards}`,
  }),
  'collections-handover': (name, p, write) => ({ subject: 'Rechnung an Inkasso übergeben', text: `${hello(name)}die Rechnung ${invoice(p, write)} wurde an unseren Inkassopartner übergeben${feesHandedOver(p, write)}.${regards}` }),
  // Withdrawn because nothing is owed on it: paid on time (`paidAt`), or cancelled in the billing system (`cancelledAt`).
  'collections-withdrawn': (name, p, write) => {
    const fees = Number(p.feesReversedMinor) > 0 ? `, und die ${write.money(Number(p.feesReversedMinor))} Mahngebühren werden storniert` : '';
    if (typeof p.cancelledAt === 'string') {
      return {
        subject: 'Ihre Rechnung ist nicht beim Inkasso: sie wurde storniert',
        text: `${hello(name)}bitte betrachten Sie unser Schreiben, dass die Rechnung ${invoiceRef(p)} an unseren Inkassopartner übergeben wurde, als gegenstandslos: Die Rechnung wurde storniert, Sie schulden darauf nichts. Wir ziehen unsere Forderung vom Inkasso zurück${fees}. Bitte entschuldigen Sie die Unannehmlichkeiten.${regards}`,
      };
    }
    return {
      subject: 'Ihre Rechnung ist nicht beim Inkasso: sie wurde rechtzeitig bezahlt',
      text: `${hello(name)}bitte betrachten Sie unser Schreiben, dass die Rechnung ${invoiceRef(p)} an unseren Inkassopartner übergeben wurde, als gegenstandslos: Sie haben sie rechtzeitig bezahlt, am ${write.day(String(p.paidAt))}, und Ihre Zahlung ist erst später bei uns verbucht worden. Wir ziehen die Rechnung vom Inkasso zurück${fees}; Sie schulden darauf nichts mehr. Bitte entschuldigen Sie die Unannehmlichkeiten.${regards}`,
    };
  },
  'issue-acknowledged': (name, p) => ({
    subject: 'Wir kümmern uns darum',
    text: `${hello(name)}Sie haben uns mehr als einmal von „${topicLabel(p)}“ berichtet, und das ist einmal zu oft. Ein Team ist jetzt für das Problem zuständig und arbeitet an einer Lösung; wir sagen Ihnen Bescheid, sobald sie da ist.${regards}`,
  }),
  'issue-still-open': (name, p) => ({
    subject: 'Noch nicht behoben: Wir bleiben dran',
    text: `${hello(name)}wir haben „${topicLabel(p)}“ noch nicht behoben, und es dauert länger, als es sollte. ${
      p.stays ? 'Das erfahrenste zuständige Team kümmert sich darum, und wir haben es nicht vergessen' : 'Wir haben es an ein erfahreneres Team übergeben, um es zu beschleunigen'
    }; wir sagen Ihnen Bescheid, sobald es behoben ist. Wenn es Sie in der Zwischenzeit behindert, antworten Sie auf diese Nachricht.${regards}`,
  }),
  'issue-reopened': (name, p) => ({
    subject: 'Immer noch nicht in Ordnung: Wir sind wieder dran',
    text: `${hello(name)}danke, dass Sie uns gesagt haben, dass „${topicLabel(p)}“ immer noch nicht in Ordnung ist. Wir haben den Fall wieder geöffnet, und ${
      p.stays ? 'das erfahrenste zuständige Team bleibt dafür zuständig' : 'ein erfahreneres Team ist jetzt zuständig'
    }; wir sagen Ihnen Bescheid, wenn es endgültig behoben ist.${regards}`,
  }),
  'issue-complaint-added': (name, p) => ({
    subject: 'Zu Ihrem Fall hinzugefügt',
    text: `${hello(name)}danke, dass Sie uns noch einmal von „${topicLabel(p)}“ berichtet haben, und es tut uns leid, dass es Sie weiter behindert. Wir haben es dem Fall hinzugefügt, an dem ein Team bereits arbeitet; wir sagen Ihnen Bescheid, sobald es behoben ist.${regards}`,
  }),
  'issue-fixed': (name, p) => ({
    subject: 'Behoben',
    text: `${hello(name)}wie versprochen: Das Team hat die Ursache von „${topicLabel(p)}“ behoben. Wir melden uns in einiger Zeit noch einmal, um sicherzugehen, dass die Lösung hält; sollte es vorher wiederkommen, antworten Sie auf diese Nachricht, und wir kümmern uns sofort darum.${regards}`,
  }),
  'issue-check-back': (name, p) => ({ subject: 'Ist es für Sie behoben?', text: `${hello(name)}wir haben „${topicLabel(p)}“ vor einiger Zeit behoben. Funktioniert es jetzt für Sie? Eine kurze Antwort genügt.${regards}` }),
  'issue-fix-confirmed': (name, p) => ({
    subject: 'Danke für Ihre Rückmeldung',
    text: `${hello(name)}danke, dass Sie uns gesagt haben, dass die Lösung für „${topicLabel(p)}“ hält. Sollte es je wiederkommen, antworten Sie auf diese Nachricht, und wir kümmern uns sofort darum.${regards}`,
  }),
  'issue-gesture': (name, p, write) => ({
    subject: 'Ein kleines Dankeschön für Ihre Geduld',
    text: `${hello(name)}danke, dass Sie uns trotz der Schwierigkeiten treu geblieben sind. Ihre nächste Bestellung geht ${typeof p.goodwillMinor === 'number' ? `bis zu ${write.money(p.goodwillMinor)}` : 'bis zum üblichen Kulanzbetrag'} auf uns.${regards}`,
  }),
  'account-proposal': (name, p) => ({
    subject: 'Was besser zu Ihrer Nutzung passt',
    text: `${hello(name)}wir haben uns angesehen, wie Sie unseren Service nutzen, und glauben, dass dies besser zu Ihnen passt: ${proposalText(p)}. Antworten Sie, um es anzunehmen, oder sagen Sie uns, was Sie brauchen.${regards}`,
  }),
  'account-proposal-confirmed': (name, p) => ({ subject: 'Erledigt: Ihre Änderung', text: `${hello(name)}wie vereinbart: ${proposalText(p)}. Vielen Dank.${regards}` }),
  'offboarding-notice': (name, p, write) => ({
    subject: 'Unser Vertrag endet',
    text: `${hello(name)}wir haben entschieden, unseren Vertrag zum ${write.day(String(p.noticeEndsOn ?? p.noticeEndsAt ?? ''))} zu beenden. Wir haben uns angesehen, wie Sie unseren Service nutzen und was er uns kostet, und keine Änderung gefunden, die für beide Seiten passt; das tut uns leid. Bis dahin läuft alles wie gewohnt weiter. Wir helfen Ihnen beim Wechsel, schicken eine Schlussrechnung ohne Abschlussgebühr und geben Ihnen alle Ihre Daten.\n\nWenn Sie darüber sprechen möchten oder glauben, dass wir uns geirrt haben, antworten Sie auf diese Nachricht, und eine Person meldet sich bei Ihnen.${regards}`,
  }),
  'offboarding-switch-help': (name, p, write) => ({ subject: 'Hilfe beim Wechsel', text: `${hello(name)}${switchHelp(p, write)}${regards}` }),
  'offboarding-withdrawn': (name, p, write) => ({
    subject: 'Unser Vertrag läuft weiter',
    text: `${hello(name)}bitte betrachten Sie unsere Mitteilung, dass unser Vertrag zum ${write.day(String(p.noticeEndsOn ?? p.noticeEndsAt ?? ''))} endet, als gegenstandslos: Er läuft weiter wie bisher, und für Sie ändert sich nichts. Bei Fragen antworten Sie einfach, und eine Person meldet sich.${regards}`,
  }),
  'offboarding-data-export': (name, p, write) => {
    const early = endedEarly(p, write);
    // Klein nur direkt nach dem Komma der Anrede: nach dem Absatz zum vorzeitigen Ende beginnt ein eigener Satz.
    return {
      subject: typeof p.endedEarlyOn === 'string' ? 'Unser Vertrag ist beendet: Ihre Daten' : 'Ihre Daten',
      text: `${hello(name)}${early}${early ? 'Anbei' : 'anbei'} finden Sie alles, was wir über Sie gespeichert haben, als JSON-Datei (Export ${String(p.exportId ?? '')}). Danke für die gemeinsame Zeit.${regards}`,
    };
  },
  appreciation: (name, p, write) => ({
    subject: 'Danke, dass Sie bei uns sind',
    text: `${hello(name)}Sie sind seit Jahren bei uns: danke für Ihre Treue.${thankYouOffer(p, write)}${regards}`,
  }),
  welcome: (name) => ({
    subject: 'Willkommen: Funktioniert alles für Sie?',
    text: `${hello(name)}willkommen, und danke, dass Sie sich für uns entschieden haben. Ist alles eingerichtet und funktioniert so, wie Sie es erwartet haben? Eine kurze Antwort genügt; wenn etwas nicht stimmt, sagen Sie es uns, und eine Person kümmert sich mit Ihnen darum.${regards}`,
  }),
  'thank-you-payment': (name, p, write) => ({
    subject: `Vielen Dank für die Zahlung der Rechnung ${invoiceRef(p)}`,
    text: `${hello(name)}wir haben Ihre Zahlung für die Rechnung ${paidInvoice(p, write)} erhalten: vielen Dank, und danke für Ihre Treue.${regards}`,
  }),
};
