/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Customers($first: Int!, $after: String) {\n  customers(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        externalRef\n        name\n        email\n        timeZone\n        serviceTier\n        status\n        marketingConsent\n        acquiredAt\n      }\n    }\n  }\n}\n\nquery Customer($id: ID!) {\n  customer(id: $id) {\n    id\n    name\n    email\n    serviceTier\n    status\n  }\n}": typeof types.CustomersDocument,
    "fragment PlaybookRunFields on PlaybookRun {\n  workflowId\n  playbook\n  customerId\n  status\n  step\n  outcome\n  deadline\n  policyVersion\n  startedAt\n  finishedAt\n}\n\nmutation StartWelcomeCheck($customerId: ID!) {\n  startWelcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nmutation ConfirmWelcome($customerId: ID!) {\n  confirmWelcome(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nquery WelcomeCheck($customerId: ID!) {\n  welcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}": typeof types.PlaybookRunFieldsFragmentDoc,
};
const documents: Documents = {
    "query Customers($first: Int!, $after: String) {\n  customers(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        externalRef\n        name\n        email\n        timeZone\n        serviceTier\n        status\n        marketingConsent\n        acquiredAt\n      }\n    }\n  }\n}\n\nquery Customer($id: ID!) {\n  customer(id: $id) {\n    id\n    name\n    email\n    serviceTier\n    status\n  }\n}": types.CustomersDocument,
    "fragment PlaybookRunFields on PlaybookRun {\n  workflowId\n  playbook\n  customerId\n  status\n  step\n  outcome\n  deadline\n  policyVersion\n  startedAt\n  finishedAt\n}\n\nmutation StartWelcomeCheck($customerId: ID!) {\n  startWelcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nmutation ConfirmWelcome($customerId: ID!) {\n  confirmWelcome(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nquery WelcomeCheck($customerId: ID!) {\n  welcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}": types.PlaybookRunFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Customers($first: Int!, $after: String) {\n  customers(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        externalRef\n        name\n        email\n        timeZone\n        serviceTier\n        status\n        marketingConsent\n        acquiredAt\n      }\n    }\n  }\n}\n\nquery Customer($id: ID!) {\n  customer(id: $id) {\n    id\n    name\n    email\n    serviceTier\n    status\n  }\n}"): (typeof documents)["query Customers($first: Int!, $after: String) {\n  customers(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        externalRef\n        name\n        email\n        timeZone\n        serviceTier\n        status\n        marketingConsent\n        acquiredAt\n      }\n    }\n  }\n}\n\nquery Customer($id: ID!) {\n  customer(id: $id) {\n    id\n    name\n    email\n    serviceTier\n    status\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment PlaybookRunFields on PlaybookRun {\n  workflowId\n  playbook\n  customerId\n  status\n  step\n  outcome\n  deadline\n  policyVersion\n  startedAt\n  finishedAt\n}\n\nmutation StartWelcomeCheck($customerId: ID!) {\n  startWelcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nmutation ConfirmWelcome($customerId: ID!) {\n  confirmWelcome(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nquery WelcomeCheck($customerId: ID!) {\n  welcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}"): (typeof documents)["fragment PlaybookRunFields on PlaybookRun {\n  workflowId\n  playbook\n  customerId\n  status\n  step\n  outcome\n  deadline\n  policyVersion\n  startedAt\n  finishedAt\n}\n\nmutation StartWelcomeCheck($customerId: ID!) {\n  startWelcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nmutation ConfirmWelcome($customerId: ID!) {\n  confirmWelcome(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}\n\nquery WelcomeCheck($customerId: ID!) {\n  welcomeCheck(customerId: $customerId) {\n    ...PlaybookRunFields\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;