import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the front end and the GraphQL tests, generated from the
 * checked-in schema (schema/schema.graphql, emitted from the type-graphql classes).
 */
const config: CodegenConfig = {
  // ESM output: relative imports end in .js
  importExtension: '.js',
  schema: 'schema/schema.graphql',
  documents: ['schema/documents/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'test/__generated__/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Every custom scalar of schema/schema.graphql, as its JSON arrives (test/schema.test.js checks none is missing).
        scalars: { DateTimeISO: 'string', LocalDate: 'string', SafeInt: 'number', JSONObject: 'Record<string, unknown>' },
      },
    },
  },
};

export default config;
