import { nelderMead, runOffParameters } from './optimize.js';

const rosenbrock = (x: number[]) => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
};

describe('nelderMead', () => {
  it('finds the Rosenbrock minimum (1, 1) from the classic start (-1.2, 1)', () => {
    const r = nelderMead(rosenbrock, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
    expect(r.fx).toBeLessThan(1e-10);
  });

  it('finds the 4-dimensional Rosenbrock minimum', () => {
    const r = nelderMead(rosenbrock, [-1.2, 1, -1.2, 1], { maxRestarts: 10 });
    expect(r.converged).toBe(true);
    for (const v of r.x) expect(v).toBeCloseTo(1, 4);
  });

  it('finds the minimum of a badly scaled quadratic in 6 dimensions', () => {
    const centre = [1, -2, 3, -4, 5, -6];
    const f = (x: number[]) => x.reduce((s, v, i) => s + 10 ** i * (v - centre[i]) ** 2, 0);
    const r = nelderMead(f, [0, 0, 0, 0, 0, 0], { initialStep: 1 });
    r.x.forEach((v, i) => expect(v).toBeCloseTo(centre[i], 4));
  });

  it('finds the Beale minimum (3, 0.5) and a Himmelblau minimum', () => {
    const beale = ([x, y]: number[]) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2;
    const b = nelderMead(beale, [1, 1]);
    expect(b.x[0]).toBeCloseTo(3, 5);
    expect(b.x[1]).toBeCloseTo(0.5, 5);
    const himmelblau = ([x, y]: number[]) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2;
    const h = nelderMead(himmelblau, [0, 0], { initialStep: 1 });
    expect(h.fx).toBeLessThan(1e-10);
  });

  it('minimises in one dimension', () => {
    const r = nelderMead(([x]) => (x - Math.PI) ** 2 + 1, [0]);
    expect(r.x[0]).toBeCloseTo(Math.PI, 6);
    expect(r.fx).toBeCloseTo(1, 10);
  });

  it('treats non-finite values as +Infinity (a domain boundary)', () => {
    // minimum of x - ln x at x = 1; ln of a non-positive number is NaN/-Infinity
    const r = nelderMead(([x]) => x - Math.log(x), [5], { initialStep: 4 });
    expect(r.x[0]).toBeCloseTo(1, 5);
  });

  it('reports no convergence when the budget runs out, and is deterministic', () => {
    const r = nelderMead(rosenbrock, [-1.2, 1], { maxIterations: 10, maxEvaluations: 1000 });
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(10);
    const again = nelderMead(rosenbrock, [-1.2, 1], { maxIterations: 10, maxEvaluations: 1000 });
    expect(nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 30 }).evaluations).toBeLessThanOrEqual(32);
    expect(again).toEqual(r);
  });

  it('refuses an empty or non-finite start', () => {
    expect(() => nelderMead(() => 0, [])).toThrow(RangeError);
    expect(() => nelderMead(() => 0, [NaN])).toThrow(RangeError);
  });
});

describe('runOffParameters', () => {
  it('names the parameters beyond e^±10, in their order, and none of a fit that stayed in range', () => {
    // CDNOW's published BG/NBD estimates: all in range.
    expect(runOffParameters({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 })).toEqual([]);
    // Two customers: r and alpha off to infinity, b towards 0.
    expect(runOffParameters({ r: 25_532_350.4, alpha: 158_654_912.8, a: 11.7, b: 2.3e-8 })).toEqual(['r', 'alpha', 'b']);
    // Just inside and just outside the bound.
    expect(runOffParameters({ a: Math.exp(9.99), b: Math.exp(-10.01) })).toEqual(['b']);
  });
});
