/**
 * Nelder-Mead downhill simplex minimisation (Nelder & Mead 1965, in the form of
 * Lagarias et al. 1998: reflection, expansion, outside/inside contraction,
 * shrink), deterministic, without derivatives.
 *
 * - Non-finite objective values (NaN, ±Infinity) count as +Infinity, so a
 *   function may refuse points outside its domain that way.
 * - Convergence: the spread of the objective over the simplex is at most
 *   `fTolerance` (absolute) AND every vertex is within `xTolerance` (absolute,
 *   per coordinate) of the best vertex.
 * - Restarts: after convergence the simplex is rebuilt around the best point and
 *   the search runs again, until a run improves the objective by no more than
 *   `fTolerance` (at most `maxRestarts` times). This guards against the known
 *   failure of Nelder-Mead to stall on a collapsed simplex away from a minimum.
 * - `adaptive` uses the dimension-dependent coefficients of Gao & Han (2012),
 *   which behave better in higher dimensions; by default on for n > 2.
 */

export interface NelderMeadOptions {
  /** Initial simplex edge per coordinate (default: 5% of |x0_i|, or 0.00025 where x0_i = 0). */
  initialStep?: number | number[];
  /** Absolute tolerance on the objective's spread over the simplex (default 1e-10). */
  fTolerance?: number;
  /** Absolute tolerance on the simplex size per coordinate (default 1e-8). */
  xTolerance?: number;
  /** Iterations over all restarts (default 200 · n · (restarts + 1), at least 2000). */
  maxIterations?: number;
  /** Objective evaluations over all restarts (default 2 · maxIterations). */
  maxEvaluations?: number;
  /** Rebuild the simplex around the optimum and search again, at most this often (default 3). */
  maxRestarts?: number;
  /** Gao-Han coefficients (default: n > 2). */
  adaptive?: boolean;
}

export interface NelderMeadResult {
  x: number[];
  fx: number;
  iterations: number;
  evaluations: number;
  restarts: number;
  /** True when the tolerances were met (false when a budget ran out). */
  converged: boolean;
}

type Vertex = { x: number[]; f: number };

export function nelderMead(f: (x: number[]) => number, x0: number[], options: NelderMeadOptions = {}): NelderMeadResult {
  const n = x0.length;
  if (n === 0) throw new RangeError('nelderMead needs at least one variable');
  if (x0.some((v) => !Number.isFinite(v))) throw new RangeError('nelderMead: the starting point must be finite');
  const fTol = options.fTolerance ?? 1e-10;
  const xTol = options.xTolerance ?? 1e-8;
  const maxRestarts = options.maxRestarts ?? 3;
  const maxIterations = options.maxIterations ?? Math.max(2000, 200 * n * (maxRestarts + 1));
  const maxEvaluations = options.maxEvaluations ?? 2 * maxIterations;
  const adaptive = options.adaptive ?? n > 2;
  const alpha = 1;
  const gamma = adaptive ? 1 + 2 / n : 2;
  const rho = adaptive ? 0.75 - 1 / (2 * n) : 0.5;
  const sigma = adaptive ? 1 - 1 / n : 0.5;

  let evaluations = 0;
  const evaluate = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const steps = (x: number[]): number[] => {
    const s = options.initialStep;
    if (Array.isArray(s)) {
      if (s.length !== n) throw new RangeError('initialStep must have one entry per variable');
      return s;
    }
    if (typeof s === 'number') return x.map(() => s);
    return x.map((v) => (v !== 0 ? 0.05 * Math.abs(v) : 0.00025));
  };
  const buildSimplex = (best: Vertex): Vertex[] => {
    const h = steps(best.x);
    const simplex: Vertex[] = [best];
    for (let i = 0; i < n; i++) {
      const x = best.x.slice();
      x[i] += h[i];
      simplex.push({ x, f: evaluate(x) });
    }
    return simplex;
  };
  // Stable order: by value, ties keep their position (deterministic).
  const order = (s: Vertex[]) => s.map((v, i) => ({ v, i })).sort((p, q) => p.v.f - q.v.f || p.i - q.i).map((p) => p.v);
  const converged = (s: Vertex[]): boolean => {
    const best = s[0];
    const worst = s[n];
    if (!(Math.abs(worst.f - best.f) <= fTol)) return false;
    for (let i = 1; i <= n; i++) for (let j = 0; j < n; j++) if (Math.abs(s[i].x[j] - best.x[j]) > xTol) return false;
    return true;
  };
  const along = (c: number[], w: number[], t: number) => c.map((cj, j) => cj + t * (w[j] - cj));

  let best: Vertex = { x: x0.slice(), f: evaluate(x0) };
  let iterations = 0;
  let restarts = 0;
  let done = false;
  for (;;) {
    let simplex = order(buildSimplex(best));
    let runConverged = false;
    while (iterations < maxIterations && evaluations < maxEvaluations) {
      if (converged(simplex)) {
        runConverged = true;
        break;
      }
      iterations++;
      const worst = simplex[n];
      const centroid = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n;
      const xr = along(centroid, worst.x, -alpha);
      const fr = evaluate(xr);
      let replacement: Vertex | null = null;
      if (fr < simplex[0].f) {
        const xe = along(centroid, worst.x, -alpha * gamma);
        const fe = evaluate(xe);
        replacement = fe < fr ? { x: xe, f: fe } : { x: xr, f: fr };
      } else if (fr < simplex[n - 1].f) {
        replacement = { x: xr, f: fr };
      } else if (fr < worst.f) {
        const xc = along(centroid, worst.x, -alpha * rho);
        const fc = evaluate(xc);
        if (fc <= fr) replacement = { x: xc, f: fc };
      } else {
        const xc = along(centroid, worst.x, rho);
        const fc = evaluate(xc);
        if (fc < worst.f) replacement = { x: xc, f: fc };
      }
      if (replacement) {
        simplex[n] = replacement;
      } else {
        const b = simplex[0];
        simplex = [b, ...simplex.slice(1).map((v) => {
          const x = along(b.x, v.x, sigma);
          return { x, f: evaluate(x) };
        })];
      }
      simplex = order(simplex);
    }
    const improvement = best.f - simplex[0].f;
    if (simplex[0].f <= best.f) best = simplex[0];
    if (!runConverged) break;
    if (restarts > 0 && !(improvement > fTol)) {
      done = true;
      break;
    }
    if (restarts >= maxRestarts) {
      done = true;
      break;
    }
    restarts++;
  }
  return { x: best.x, fx: best.f, iterations, evaluations, restarts, converged: done };
}

/** How far from 1 (as |ln θ|) a positive parameter may go before it counts as run off: e^10 ≈ 22,000. */
export const RUN_OFF_LOG_BOUND = 10;

/**
 * The parameters of a fit, searched over their logarithms, that ran off towards 0 or infinity (beyond
 * e^±RUN_OFF_LOG_BOUND). There the likelihood kept rising along a ridge: the optimiser may well say it
 * converged (the simplex collapsed), but the data pins down at most a ratio of them, not each one (BG/NBD's
 * a and b growing together on a base where hardly anyone seems to drop out; r and α on a few customers).
 */
export function runOffParameters<K extends string>(params: Readonly<Record<K, number>>, bound = RUN_OFF_LOG_BOUND): K[] {
  return (Object.keys(params) as K[]).filter((k) => Math.abs(Math.log(params[k])) > bound);
}
