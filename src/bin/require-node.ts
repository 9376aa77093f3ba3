/**
 * Imported first by every entry point: the project runs on the Node it installs (node@24, first
 * on PATH inside `npm start` / `npm run`). Started by hand with an older `node`, it would load,
 * then fail far from the cause (a missing `Map.groupBy` halfway through a rescore).
 */
export function nodeVersionProblem(version: string): string | null {
  const major = Number(version.split('.')[0]);
  return major >= 24 ? null : `Node ${version} is too old: this project runs on Node 24. Start it through npm (\`npm start\`, \`npm run start:api\`, ...), which puts the project's own Node 24 first on PATH, or with node_modules/.bin/node.`;
}

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
