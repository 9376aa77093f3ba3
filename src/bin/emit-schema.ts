import './require-node.js';
import { writeFile } from 'node:fs/promises';
import { createSchema, printSdl } from '../graphql/schema.js';

// Writes the schema the type-graphql classes define to schema/schema.graphql (run from the project root).
await writeFile('schema/schema.graphql', printSdl(await createSchema()));
console.log('schema/schema.graphql written');
