import { nodeVersionProblem } from './require-node.js';

it('takes Node 24 and later, and says how to get it otherwise', () => {
  expect(nodeVersionProblem('24.21.0')).toBeNull();
  expect(nodeVersionProblem('25.0.0')).toBeNull();
  expect(nodeVersionProblem('20.20.2')).toMatch(/^Node 20\.20\.2 is too old: this project runs on Node 24\. Start it through npm/);
});
