import { ValidationError } from 'class-validator';
import { argumentProblems } from './errors.js';

const broken = (property: string, constraints: Record<string, string> | undefined, children: ValidationError[] = []) =>
  Object.assign(new ValidationError(), { property, constraints, children, value: 'echoed', target: { secret: 'input' } });

describe('argumentProblems', () => {
  it('names each broken field with its messages, nested fields by their path, and drops the echoed input', () => {
    const problems = argumentProblems([
      broken('first', { max: 'first must not be greater than 100', isInt: 'first must be an integer' }),
      broken('input', undefined, [broken('contact', undefined, [broken('phone', { matches: 'phone may hold digits only' })])]),
    ]);
    expect(problems).toEqual([
      { field: 'first', messages: ['first must not be greater than 100', 'first must be an integer'] },
      { field: 'input.contact.phone', messages: ['phone may hold digits only'] },
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret');
  });

  it('is empty without errors', () => {
    expect(argumentProblems([])).toEqual([]);
  });
});
