import './require-node.js';
import { writeWorkflowBundle } from '../temporal/workflow-bundle.js';

// Bundles the workflow code once at build time, so workers (and tests) start without webpack.
console.log(`workflow bundle written to ${await writeWorkflowBundle()}`);
