import { Turns, type Refusal } from './turns.js';

const refused = (why: Refusal) => Object.assign(new Error(why), { why });
/** A piece of work that runs until `finish()`. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish };
}

describe('Turns', () => {
  it('runs at most atOnce at once, the others in the order they came, and frees a place whatever the outcome', async () => {
    const turns = new Turns(2, 10, refused);
    const started: number[] = [];
    const pieces = Array.from({ length: 5 }, () => held());
    const answers = pieces.map((p, i) =>
      turns.take(async () => {
        started.push(i);
        await p.work();
        if (i === 0) throw new Error('failed');
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    expect([turns.runningCount, turns.waitingCount]).toEqual([2, 3]);
    pieces[0].finish();
    await expect(answers[0]).rejects.toThrow('failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const p of pieces) p.finish();
    expect(await Promise.all(answers.slice(1))).toEqual([1, 2, 3, 4]);
    expect([turns.runningCount, turns.waitingCount]).toEqual([0, 0]);
  });

  it('refuses at once, by a throw, when `waiting` wait already', async () => {
    const turns = new Turns(1, 2, refused);
    const piece = held();
    const taken = [turns.take(piece.work), turns.take(piece.work), turns.take(piece.work)];
    expect(() => turns.take(async () => 'late')).toThrow(expect.objectContaining({ why: 'too-many-waiting' }));
    piece.finish();
    await Promise.all(taken);
    await expect(turns.take(async () => 'answered')).resolves.toBe('answered');
  });

  it('refuses a waiter that waited maxWaitMs, its work never started, and leaves the line to the others', async () => {
    const turns = new Turns(1, 5, refused, 50);
    const piece = held();
    const first = turns.take(piece.work);
    let ran = false;
    const late = turns.take(async () => (ran = true));
    await expect(late).rejects.toMatchObject({ why: 'waited-too-long' });
    expect(turns.waitingCount).toBe(0);
    piece.finish();
    await first;
    expect(ran).toBe(false);
    expect(turns.runningCount).toBe(0);
    await expect(turns.take(async () => 'answered')).resolves.toBe('answered');
  });

  it('gives a freed place to a waiter before its wait runs out, which then is not refused', async () => {
    const turns = new Turns(1, 5, refused, 200);
    const piece = held();
    const first = turns.take(piece.work);
    const second = turns.take(async () => 'second');
    setTimeout(piece.finish, 20);
    await first;
    await expect(second).resolves.toBe('second');
  });
});
