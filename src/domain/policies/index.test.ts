import { defaultPolicies } from './index.js';

it('holds every policy as plain data: the worker process may be given them as JSON, and a run takes them as workflow input', () => {
  expect(JSON.parse(JSON.stringify(defaultPolicies))).toEqual(defaultPolicies);
});
