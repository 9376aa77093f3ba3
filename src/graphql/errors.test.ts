import { ValidationError } from 'class-validator';
import { argumentProblems, asApiSpells } from './errors.js';

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

describe('asApiSpells', () => {
  it('spells a status or playbook detail as the API enums do, and leaves other details as they are', () => {
    expect(asApiSpells({ id: 'c-1', status: 'cancelled', playbook: 'fair-reminder', field: 'playbook' })).toEqual({ id: 'c-1', status: 'Cancelled', playbook: 'FairReminder', field: 'playbook' });
    expect(asApiSpells({ status: 'timed-out' })).toEqual({ status: 'TimedOut' });
    expect(asApiSpells({ status: 3, workflowIds: ['fair-reminder/x'] })).toEqual({ status: 3, workflowIds: ['fair-reminder/x'] });
  });
});
