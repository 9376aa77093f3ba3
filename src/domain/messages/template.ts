/** What a message template is, in any language, and the payload fields every language shows alike. */
export interface RenderedText {
  subject: string;
  text: string;
}

/** IDs and amounts a playbook step wrote with its message; names and addresses come from the customer at rendering. */
export type Payload = Record<string, unknown>;
/** An amount in minor units written in the deployment's currency, as the message's language writes it. */
export type MoneyText = (minor: number) => string;
export type Template = (name: string, payload: Payload, money: MoneyText) => RenderedText;

/** An invoice as a customer recognises it: the start of its ID. */
export const invoiceRef = (p: Payload) => String(p.invoiceId ?? '').slice(0, 8);
/** A complaint topic key as words ("delivery-delay" -> "delivery delay"). */
export const topicLabel = (p: Payload) => String(p.topic ?? '').replace(/-/g, ' ');
